"""Chat through Ollama's native `POST /api/chat`: OpenAI-shaped requests in, neoclone's
responses out.

The native API rather than Ollama's OpenAI-compatible `/v1`: it is there on every
version, it reports token counts and why generation stopped, and it takes Ollama's own
options (`num_ctx`, `keep_alive`). The translation is small: `max_tokens` becomes
`options.num_predict`, image parts become base64 `images`, and tool-call arguments
travel as objects rather than JSON strings, both ways.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs
import httpx
import structlog

from neoclone_core import ChatChunk, ChatRequest, ChatResponse, ModelInfo, ProviderContext, Usage
from neoclone_core.errors import ProviderError, ProviderUnavailableError, StreamInterruptedError
from neoclone_core.openai.compat import as_tool_call_deltas
from neoclone_core.provider_kit import as_mapping, malformed
from neoclone_provider_ollama._http import post_json, snippet, stream_lines, transport_error

CHAT_PATH = "/api/chat"
log = structlog.get_logger("neoclone")

_OPTIONS = {  # OpenAI parameter -> Ollama option of the same meaning
    "top_p": "top_p",
    "top_k": "top_k",
    "seed": "seed",
    "stop": "stop",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "num_ctx": "num_ctx",
}
_TOP_LEVEL = ("tools", "format", "keep_alive", "think")  # passed through as they are
_DATA_URL_MARK = ";base64,"


async def chat(ctx: ProviderContext, model: ModelInfo, request: ChatRequest) -> ChatResponse:
    """One completion, not streamed."""
    body = chat_body(model, request, stream=False)
    return chat_response(ctx, model, await post_json(ctx, CHAT_PATH, body, model.name))


async def stream_chat(
    ctx: ProviderContext, model: ModelInfo, request: ChatRequest
) -> AsyncIterator[ChatChunk]:
    """The completion's chunks as Ollama streams them, one JSON object per line."""
    reader = _StreamReader(ctx, model)
    body = chat_body(model, request, stream=True)
    try:
        async with stream_lines(ctx, CHAT_PATH, body, model.name) as lines:
            async for line in lines:
                if (chunk := reader.read(line)) is not None:
                    yield chunk
                if reader.done:
                    return
    except httpx.RequestError as exc:
        raise reader.transport_error(exc) from exc
    why = "the stream ended before Ollama said it was done"
    raise reader.interrupted(why)


# -- the request -------------------------------------------------------------------------


def chat_body(model: ModelInfo, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    """Ollama's body for `request`; OpenAI's sampling parameters become `options`."""
    body: dict[str, Any] = {
        "model": model.name,
        "messages": [ollama_message(m) for m in request.messages],
        "stream": stream,
    }
    body.update({key: request.params[key] for key in _TOP_LEVEL if key in request.params})
    if options := _options(request):
        body["options"] = options
    return body


def _options(request: ChatRequest) -> dict[str, Any]:
    native = request.params.get("options")
    options = dict(native) if isinstance(native, Mapping) else {}
    options.update(
        {name: request.params[key] for key, name in _OPTIONS.items() if key in request.params}
    )
    if isinstance(options.get("stop"), str):
        options["stop"] = [options["stop"]]
    if request.max_tokens is not None:
        options["num_predict"] = request.max_tokens
    if request.temperature is not None:
        options["temperature"] = request.temperature
    return options


def ollama_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """One OpenAI message in Ollama's shape: text content, base64 images, tool calls
    with object arguments. Other fields pass through (Ollama ignores unknown ones)."""
    converted = {k: v for k, v in message.items() if k not in ("content", "tool_calls")}
    text, images = _content(message.get("content"))
    converted["content"] = text
    if images:
        converted["images"] = [*converted.get("images", ()), *images]
    calls = message.get("tool_calls")
    if isinstance(calls, list) and calls:
        converted["tool_calls"] = [_ollama_call(c) for c in calls if isinstance(c, Mapping)]
    return converted


def _content(content: object) -> tuple[str, list[str]]:
    """Text and base64 images of OpenAI content (a string or a list of parts). Ollama
    takes images as data only, so image URLs that are not data URLs are left out."""
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        return "", []
    texts, images = [], []
    for part in (p for p in content if isinstance(p, Mapping)):
        if part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        elif part.get("type") == "image_url":
            url = as_mapping(part.get("image_url")).get("url", "")
            if isinstance(url, str) and _DATA_URL_MARK in url:
                images.append(url.partition(_DATA_URL_MARK)[2])
            else:
                log.warning("neoclone.image_dropped", provider="ollama", reason="not a data URL")
    return "".join(texts), images


def _ollama_call(call: Mapping[str, Any]) -> dict[str, Any]:
    function = as_mapping(call.get("function"))
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        with contextlib.suppress(ValueError):
            arguments = json.loads(arguments)
    return {"function": {"name": function.get("name", ""), "arguments": arguments or {}}}


# -- the response ------------------------------------------------------------------------


def chat_response(ctx: ProviderContext, model: ModelInfo, document: object) -> ChatResponse:
    """A `/api/chat` answer as a ChatResponse; MalformedResponseError when it is none."""
    fields = as_mapping(document)
    if error := fields.get("error"):
        why = f"HTTP 200 carrying an error: {snippet(str(error))}"
        raise malformed(ctx.provider, why, model=model.name)
    message = fields.get("message")
    if not isinstance(message, Mapping):
        why = f"no 'message' in {snippet(json.dumps(document))}"
        raise malformed(ctx.provider, why, model=model.name)
    tool_calls = openai_tool_calls(message.get("tool_calls"))
    return ChatResponse(
        model_id=model.id,
        content=_text(message.get("content")),
        finish_reason=_finish_reason(fields, bool(tool_calls)),
        usage=Usage(_count(fields.get("prompt_eval_count")), _count(fields.get("eval_count"))),
        tool_calls=tool_calls,
    )


def openai_tool_calls(calls: object, first: int = 0) -> tuple[dict[str, Any], ...]:
    """Ollama's tool calls in OpenAI's shape: an id, a type, and arguments as JSON text;
    `first` numbers the made-up ids of calls without one (a stream's earlier calls)."""
    if not isinstance(calls, list):
        return ()
    calls = [c for c in calls if isinstance(c, Mapping)]
    return tuple(_openai_call(first + index, call) for index, call in enumerate(calls))


def _openai_call(index: int, call: Mapping[str, Any]) -> dict[str, Any]:
    function = as_mapping(call.get("function"))
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments or {})
    return {
        "id": _text(call.get("id")) or f"call_{index}",  # older Ollamas give none
        "type": "function",
        "function": {"name": _text(function.get("name")), "arguments": arguments},
    }


def _finish_reason(fields: Mapping[str, Any], has_tool_calls: bool) -> str | None:
    """OpenAI's reason: `tool_calls` when the model called a tool, else Ollama's
    `done_reason` (`stop`, `length`), else `stop` once it says it is done."""
    if has_tool_calls:
        return "tool_calls"
    if reason := _text(fields.get("done_reason")):
        return reason
    return "stop" if fields.get("done") is True else None


@attrs.define
class _StreamReader:
    """Turns NDJSON lines into chunks, remembering whether any chunk was delivered:
    before that, a failure can still be answered by falling back as if nothing started."""

    ctx: ProviderContext
    model: ModelInfo
    delivered: bool = False
    done: bool = False
    calls: int = 0  # tool calls streamed so far: the next one's index

    def read(self, line: str) -> ChatChunk | None:
        if not line.strip():
            return None
        event = self._decode(line)
        if event.get("error"):
            raise self._error(str(event["error"]))
        message = as_mapping(event.get("message"))
        content = _text(message.get("content"))
        tool_calls = self._tool_call_deltas(message.get("tool_calls"))
        self.done = event.get("done") is True
        finish_reason = _finish_reason(event, self.calls > 0) if self.done else None
        if not content and not tool_calls and finish_reason is None:
            return None
        self.delivered = True
        return ChatChunk(content, finish_reason, tool_calls)

    def _tool_call_deltas(self, calls: object) -> tuple[dict[str, Any], ...]:
        """Ollama streams each tool call whole, in one line: in OpenAI's stream shape,
        that is one delta per call, numbered across the stream."""
        deltas = as_tool_call_deltas(openai_tool_calls(calls, first=self.calls), self.calls)
        self.calls += len(deltas)
        return deltas

    def _decode(self, line: str) -> Mapping[str, Any]:
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, Mapping):
            why = f"unreadable line ({snippet(line)})"
            if self.delivered:
                raise self.interrupted(why)
            raise malformed(self.ctx.provider, why, model=self.model.name)
        return event

    def _error(self, error: str) -> ProviderError:
        message = f"{self.ctx.provider}: error inside the stream: {snippet(error)}"
        if self.delivered:
            return self.interrupted(f"error event: {snippet(error)}")
        return ProviderUnavailableError(message, provider=self.ctx.provider, model=self.model.name)

    def interrupted(self, why: str) -> StreamInterruptedError:
        message = f"{self.ctx.provider}: stream interrupted: {why}"
        return StreamInterruptedError(message, provider=self.ctx.provider, model=self.model.name)

    def transport_error(self, exc: httpx.RequestError) -> ProviderError:
        if self.delivered:
            return self.interrupted(f"connection lost ({type(exc).__name__})")
        return transport_error(self.ctx, self.model.name, exc)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
