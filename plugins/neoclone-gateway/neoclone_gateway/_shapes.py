"""OpenAI's chat-completion responses: a completion, the chunks of a stream, and the
model list, in exactly the shapes the `openai` library reads."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from neoclone_core import ChatResponse, ModelInfo


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def completion(response: ChatResponse, completion_id: str, created: int) -> bytes:
    """A `chat.completion` object; `model` is the catalog id of the model that served."""
    message: dict[str, Any] = {"role": "assistant", "content": response.content}
    if response.tool_calls:
        message["tool_calls"] = [dict(call) for call in response.tool_calls]
        message["content"] = response.content or None
    body = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": response.model_id,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": response.finish_reason or "stop",
            }
        ],
        "usage": _usage(response),
    }
    return _dumps(body).encode()


def _usage(response: ChatResponse) -> dict[str, int] | None:
    prompt, completion_tokens = response.usage.prompt_tokens, response.usage.completion_tokens
    if prompt is None and completion_tokens is None:
        return None
    prompt, completion_tokens = prompt or 0, completion_tokens or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }


class ChunkWriter:
    """Server-sent events of one streamed completion, each a `chat.completion.chunk`.

    The part of every chunk that does not change (id, created, model) is encoded once,
    so a chunk costs one small `json.dumps` of its delta.
    """

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        head = {"id": completion_id, "object": "chat.completion.chunk", "created": created}
        self._head = (
            "data: " + _dumps({**head, "model": model, "system_fingerprint": None})[:-1]
        ) + ',"choices":[{"index":0,"delta":'

    def chunk(self, delta: Mapping[str, Any], finish_reason: str | None = None) -> bytes:
        """One event: the delta and, on the last one, why the completion stopped."""
        tail = f',"logprobs":null,"finish_reason":{_dumps(finish_reason)}}}]}}\n\n'
        return (self._head + _dumps(delta) + tail).encode()

    @staticmethod
    def error(message: str, code: str) -> bytes:
        """An error event: the `openai` library raises it as `APIError` mid-stream."""
        error = {"message": message, "type": "server_error", "param": None, "code": code}
        return f"data: {_dumps({'error': error})}\n\n".encode()

    @staticmethod
    def comment(text: str) -> bytes:
        """An SSE comment, which clients ignore (the route, for people reading the wire)."""
        return f": {text}\n\n".encode()

    DONE = b"data: [DONE]\n\n"


def model_entry(model_id: str, owned_by: str, created: int, **extra: Any) -> dict[str, Any]:
    """One entry of `GET /v1/models`."""
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by, **extra}


def catalog_entry(model: ModelInfo) -> dict[str, Any]:
    """A catalog model as a `/v1/models` entry, with what neoclone knows of it."""
    return model_entry(
        model.id,
        model.provider,
        int(model.discovered_at),
        context_length=model.context_length,
        free=model.free,
        capabilities=sorted(c.value for c in model.capabilities),
    )


def model_list(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """The `list` object of `GET /v1/models`."""
    return _dumps({"object": "list", "data": list(entries)}).encode()
