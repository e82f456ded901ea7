"""Reading what an OpenAI-compatible provider answers with a 2xx: a completion (or the
error it carries instead), a JSON document (or a clear error naming what came instead:
an empty body, an HTML page, invalid JSON), and a whole body where a stream was asked
for (`is_whole_body`, read as one chunk)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from neoclone_core.models import ChatChunk, ChatResponse, ModelInfo, Usage, content_text
from neoclone_core.openai.error_body import looks_like_html, plain_text, upstream_message
from neoclone_core.openai.http_errors import embedded_error, malformed_response, snippet
from neoclone_core.openai.stream import first_choice, optional_str
from neoclone_core.provider import ProviderContext


def decode_json(ctx: ProviderContext, model: str, content: bytes) -> Any:
    """`content` decoded as JSON; MalformedResponseError saying what it is instead."""
    try:
        return json.loads(content)
    except ValueError as exc:  # UnicodeDecodeError included
        raise malformed_response(ctx, model, _describe_non_json(ctx, content)) from exc


def read_completion(
    ctx: ProviderContext, model: ModelInfo, response: httpx.Response
) -> ChatResponse:
    """The completion in a 2xx body, or the error it carries instead."""
    document = decode_json(ctx, model.name, response.content)
    if isinstance(document, Mapping) and document.get("error"):
        raise embedded_error(ctx, model.name, document, response.headers) or malformed_response(
            ctx,
            model.name,
            f"HTTP 200 carrying an error: {snippet(ctx, upstream_message(document, b''))}",
        )
    choice = first_choice(document)
    message = choice.get("message") if choice is not None else None
    if choice is None or not isinstance(message, Mapping):
        raise malformed_response(ctx, model.name, f"no choices[0].message in {_shape(document)}")
    tool_calls = message.get("tool_calls")
    return ChatResponse(
        model_id=model.id,
        content=content_text(message.get("content")),
        finish_reason=optional_str(choice.get("finish_reason")),
        usage=_usage(document.get("usage")),
        tool_calls=tuple(dict(call) for call in (tool_calls or ()) if isinstance(call, Mapping)),
    )


def _usage(usage: object) -> Usage:
    if not isinstance(usage, Mapping):
        return Usage()
    return Usage(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def is_whole_body(response: httpx.Response) -> bool:
    """Whether a response to a stream request is one whole body (JSON or a web page)."""
    content_type = response.headers.get("content-type", "")
    return "json" in content_type or "html" in content_type


def as_chunk(response: ChatResponse) -> ChatChunk:
    """A whole completion as the one chunk of a stream."""
    return ChatChunk(
        response.content, response.finish_reason or "stop", as_tool_call_deltas(response.tool_calls)
    )


def as_tool_call_deltas(
    calls: Sequence[Mapping[str, Any]], first: int = 0
) -> tuple[dict[str, Any], ...]:
    """Whole tool calls as stream deltas: each call in one piece, with its index, the
    first numbered `first` (the calls a stream already carried)."""
    return tuple({"index": first + i, **call} for i, call in enumerate(calls))


def _shape(document: object) -> str:
    if isinstance(document, Mapping):
        return "an object with keys " + ", ".join(sorted(map(str, document))[:8])
    return f"a JSON {type(document).__name__}"


def _describe_non_json(ctx: ProviderContext, content: bytes) -> str:
    if not content.strip():
        return "an empty body"
    if looks_like_html(content):
        return f"an HTML page, not JSON ({snippet(ctx, plain_text(content), 80)})"
    return f"invalid JSON ({snippet(ctx, plain_text(content), 80)})"
