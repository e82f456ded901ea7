"""What every OpenAI-compatible provider shares: the chat call, its stream, model-list
GETs and other JSON calls, and the mapping of their failures onto `neoclone_core.errors`.

About ten providers (OpenRouter, Groq, GitHub Models, Together, Cerebras, ...) speak the
same `/chat/completions` dialect but fail each in their own way: a 429 says when to come
back in five different places, an error arrives inside a 200 or inside a started stream,
a proxy answers with an HTML page. Written once here, a provider plugin is only its
discovery rules around these functions.

What callers can rely on:

- Every failure is a `ProviderError` subclass raised `from` its cause: HTTP statuses as
  `error_from_response` documents; timeouts as `ProviderTimeoutError`; refused, reset or
  broken connections as `ProviderUnavailableError`; a 200 that is not a completion as
  `MalformedResponseError`, or as the class of the error code it carries (a 429 inside a
  200 is a `RateLimitedError`).
- Streams: until the first chunk has been handed to the caller, a failure that maps to
  a class (an HTTP status, an error event with a code, a timeout, a refused connection)
  raises that class, because the caller can still fall back as if nothing had started.
  Everything else (any failure after a chunk was delivered, an error event without a
  code, an unreadable event, a stream that ends without `[DONE]` or a finish reason) is
  `StreamInterruptedError`, so the caller knows whether it holds a partial answer.
- The API key is sent only in a header (`Authorization: Bearer`, or the one named by
  `key_header`), and every error message is passed through `redact` with it, so no
  message ever contains it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import anyio
import attrs
import httpx

from neoclone_core.errors import BadRequestError, ProviderError
from neoclone_core.models import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    QuotaReading,
    content_text,
)
from neoclone_core.openai.completion import (
    as_chunk,
    as_tool_call_deltas,
    decode_json,
    is_whole_body,
    read_completion,
)
from neoclone_core.openai.error_body import loads_or_none
from neoclone_core.openai.http_errors import (
    error_from_response,
    raise_for_status,
    transport_errors,
)
from neoclone_core.openai.rate_limit_headers import read_quota
from neoclone_core.openai.retry_after import parse_retry_after
from neoclone_core.openai.stream import (
    NO_QUIRKS,
    StreamQuirks,
    StreamReader,
    sse_data,
)
from neoclone_core.provider import ProviderContext

__all__ = [
    "CHAT_PATH",
    "QuotaReader",
    "StreamQuirks",
    "as_tool_call_deltas",
    "chat_completion",
    "content_text",
    "error_from_response",
    "get_json",
    "parse_retry_after",
    "post_json",
    "stream_chat_completion",
]

QuotaReader = Callable[[Mapping[str, str], Any, float], "QuotaReading | None"]
"""Reads a response's headers (and, for an error, its decoded body) at a POSIX time into
what they say is left of the quota: `read_quota` by default, a provider's own
`quota_reading` method where its headers differ."""
CHAT_PATH = "/chat/completions"  # appended to the base URL, which ends in /v1 or the like
_DRAIN_TIMEOUT_S = 0.5  # reading a stream's end after [DONE], so its connection is reused
_RESERVED_PARAMS = frozenset({"model", "messages", "stream"})

# -- calls -------------------------------------------------------------------------------


async def get_json(
    ctx: ProviderContext,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str | int | float] | None = None,
    key_header: str | None = None,
) -> Any:
    """GET `{ctx.base_url}{path}` and decode its JSON, for model listings.

    The key is sent when set (most listings need none, some list more with one). A
    non-2xx status raises what `error_from_response` maps it to; a body that is not JSON
    raises `MalformedResponseError`.
    """
    return await _json_call(
        ctx, "GET", path, model="", headers=headers, key_header=key_header, params=params
    )


async def post_json(
    ctx: ProviderContext,
    path: str,
    body: Mapping[str, Any],
    *,
    model: str = "",
    headers: Mapping[str, str] | None = None,
    key_header: str | None = None,
) -> Any:
    """POST `body` as JSON to `{ctx.base_url}{path}` and decode the JSON answer, for APIs
    whose calls are not OpenAI's chat (Replicate's predictions).

    Headers and failures are as for `get_json`; errors name `model` when the call is
    for one.
    """
    return await _json_call(
        ctx, "POST", path, model=model, headers=headers, key_header=key_header, json=body
    )


async def chat_completion(
    ctx: ProviderContext,
    model: ModelInfo,
    request: ChatRequest,
    *,
    path: str = CHAT_PATH,
    headers: Mapping[str, str] | None = None,
    key_header: str | None = None,
    quota_reading: QuotaReader | None = read_quota,
) -> ChatResponse:
    """Run `request` on `model` with one POST to `{ctx.base_url}{path}`.

    `headers` are added to (and may override) the defaults, for providers that want
    extra ones (OpenRouter's `X-Title`); `key_header` names the header that carries the
    key raw, for providers that do not take `Authorization: Bearer`. `quota_reading`
    reads what the response's headers say is left of the quota, into the response's
    (or the error's) `quota`; None reads nothing.
    """
    with transport_errors(ctx, model.name):
        response = await ctx.http.post(
            ctx.base_url + path,
            content=encoded(ctx, model.name, _request_body(model, request, stream=False)),
            headers=_headers(ctx, headers, key_header=key_header, body=True),
            timeout=ctx.timeout,
        )
    with _quota_read(ctx, response, quota_reading) as reading:
        raise_for_status(ctx, model.name, response)
        completion = read_completion(ctx, model, response)
    return completion if reading is None else attrs.evolve(completion, quota=reading)


@contextlib.contextmanager
def _quota_read(
    ctx: ProviderContext, response: httpx.Response, reader: QuotaReader | None
) -> Iterator[QuotaReading | None]:
    """What `reader` makes of the response's headers, for the block; a `ProviderError`
    raised in the block carries it as its `quota` (a 429's headers say when to come
    back, and OpenRouter echoes them in the body too)."""
    if reader is None:
        yield None
        return
    now = ctx.clock()
    reading = reader(response.headers, None, now)
    try:
        yield reading
    except ProviderError as error:
        if reading is None and not response.is_success:
            reading = reader(response.headers, loads_or_none(response.content), now)
        error.quota = reading
        raise


async def stream_chat_completion(
    ctx: ProviderContext,
    model: ModelInfo,
    request: ChatRequest,
    *,
    path: str = CHAT_PATH,
    headers: Mapping[str, str] | None = None,
    key_header: str | None = None,
    quirks: StreamQuirks = NO_QUIRKS,
    quota_reading: QuotaReader | None = read_quota,
) -> AsyncGenerator[ChatChunk, None]:
    """Run `request` on `model` with `"stream": true`, yielding chunks as they arrive.

    Chunks carry text or the finish reason; role-only and usage-only events are not
    yielded. See the module docstring for which error a broken stream raises, and
    `StreamQuirks` for the deviations from OpenAI's stream a provider may declare.
    """
    reader = StreamReader(ctx, model, quirks)
    try:
        async with ctx.http.stream(
            "POST",
            ctx.base_url + path,
            content=encoded(ctx, model.name, _request_body(model, request, stream=True)),
            headers=_headers(
                ctx, headers, key_header=key_header, accept="text/event-stream", body=True
            ),
            timeout=ctx.timeout,
        ) as response:
            if not response.is_success:
                await response.aread()
                with _quota_read(ctx, response, quota_reading):
                    raise_for_status(ctx, model.name, response)
            # What the headers say of the quota rides on the first chunk, to the engine.
            quota = quota_reading(response.headers, None, ctx.clock()) if quota_reading else None
            if is_whole_body(response):  # "stream" ignored, an error in a 200, a web page
                await response.aread()
                yield attrs.evolve(as_chunk(read_completion(ctx, model, response)), quota=quota)
                return
            async with contextlib.aclosing(sse_data(response)) as events:
                async for data in events:
                    if (chunk := reader.read(data)) is not None:
                        if quota is not None:
                            chunk, quota = attrs.evolve(chunk, quota=quota), None
                        yield chunk
                    if reader.done:
                        await _read_to_end(events)
                        return
    except httpx.RequestError as exc:
        raise reader.transport_error(exc) from exc
    reader.check_complete()


async def _read_to_end(events: AsyncIterator[str]) -> None:
    """Read what follows `[DONE]`: the end of the body, normally received with it. A
    response left unread is closed with its connection; read to its end, it gives the
    connection back to the pool, so the next stream to the provider opens none (no new
    TCP and TLS handshakes). A server that keeps the body open after `[DONE]` is given
    up on after `_DRAIN_TIMEOUT_S`, its connection closed; the stream is complete
    either way, so nothing read or failing here reaches the caller."""
    with (
        anyio.move_on_after(_DRAIN_TIMEOUT_S),
        contextlib.suppress(httpx.HTTPError, httpx.StreamError),
    ):
        async for _ in events:
            pass


def encoded(ctx: ProviderContext, model: str, body: object) -> bytes:
    """`body` as the JSON bytes sent upstream, encoded before any connection is made: a
    value JSON cannot carry (NaN, infinity) or text UTF-8 cannot encode (a lone
    surrogate) is the caller's `BadRequestError`, which no breaker counts, instead of an
    exception from inside the HTTP client that would read as the provider failing."""
    try:
        text = json.dumps(body, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8")
    except (ValueError, TypeError) as exc:  # UnicodeEncodeError is a ValueError
        if isinstance(exc, UnicodeError):
            why = "it holds text UTF-8 cannot encode (a lone surrogate)"
        elif "float" in str(exc):  # json's "Out of range float values are not JSON compliant"
            why = "it holds NaN or an infinity, numbers JSON cannot carry"
        else:
            why = str(exc)
        msg = f"{ctx.provider}: the request cannot be sent: {why}"
        raise BadRequestError(msg, provider=ctx.provider, model=model) from exc


def _request_body(model: ModelInfo, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    """OpenAI's body; `params` pass through but never replace what neoclone decides."""
    body = {k: v for k, v in request.params.items() if k not in _RESERVED_PARAMS}
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    body["model"] = model.name
    body["messages"] = [dict(message) for message in request.messages]
    if stream:
        body["stream"] = True
    return body


async def _json_call(
    ctx: ProviderContext,
    method: str,
    path: str,
    *,
    model: str,
    headers: Mapping[str, str] | None,
    key_header: str | None,
    **request: Any,
) -> Any:
    if "json" in request:
        request["content"] = encoded(ctx, model, request.pop("json"))
    with transport_errors(ctx, model):
        response = await ctx.http.request(
            method,
            ctx.base_url + path,
            headers=_headers(ctx, headers, key_header=key_header, body="content" in request),
            timeout=ctx.timeout,
            **request,
        )
    raise_for_status(ctx, model, response)
    return decode_json(ctx, model, response.content)


def _headers(
    ctx: ProviderContext,
    extra: Mapping[str, str] | None,
    *,
    key_header: str | None = None,
    accept: str = "application/json",
    body: bool = False,
) -> dict[str, str]:
    """Default headers plus `extra`; the key as `Authorization: Bearer`, or raw in
    `key_header` for providers that want it elsewhere (Gemini's `x-goog-api-key`); with
    a JSON `body`, its content type."""
    headers = {"Accept": accept}
    if body:
        headers["Content-Type"] = "application/json"
    if ctx.api_key:
        if key_header is None:
            headers["Authorization"] = f"Bearer {ctx.api_key.reveal()}"
        else:
            headers[key_header] = ctx.api_key.reveal()
    headers.update(extra or {})
    return headers
