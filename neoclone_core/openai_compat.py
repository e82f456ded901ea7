"""What every OpenAI-compatible provider shares: the chat call, its stream, model-list
GETs, and the mapping of their failures onto `neoclone_core.errors`.

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
- The API key is sent only in the `Authorization` header, and every error message is
  passed through `redact` with it, so no message ever contains it.
"""

from __future__ import annotations

import contextlib
import email.utils
import http
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator, Mapping
from datetime import timezone
from typing import Any

import attrs
import httpx

from neoclone_core._models import ChatChunk, ChatRequest, ChatResponse, ModelInfo, Usage
from neoclone_core._provider import ProviderContext
from neoclone_core._secrets import Secret, redact
from neoclone_core.errors import (
    AuthenticationError,
    BadRequestError,
    ContextTooLongError,
    MalformedResponseError,
    ModelNotFoundError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
    StreamInterruptedError,
)

__all__ = [
    "CHAT_PATH",
    "chat_completion",
    "error_from_response",
    "get_json",
    "parse_retry_after",
    "stream_chat_completion",
]

CHAT_PATH = "/chat/completions"  # appended to the base URL, which ends in /v1 or the like
_MESSAGE_LIMIT = 300  # upstream messages can be whole documents; the gist fits in this
_RESERVED_PARAMS = frozenset({"model", "messages", "stream"})

# -- calls -------------------------------------------------------------------------------


async def get_json(
    ctx: ProviderContext,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str | int | float] | None = None,
) -> Any:
    """GET `{ctx.base_url}{path}` and decode its JSON, for model listings.

    The key is sent when set (most listings need none, some list more with one). A
    non-2xx status raises what `error_from_response` maps it to; a body that is not JSON
    raises `MalformedResponseError`.
    """
    with _transport_errors(ctx, ""):
        response = await ctx.http.get(
            ctx.base_url + path,
            headers=_headers(ctx, headers),
            params=params,
            timeout=ctx.timeout,
        )
    _raise_for_status(ctx, "", response)
    return _decode_json(ctx, "", response.content)


async def chat_completion(
    ctx: ProviderContext,
    model: ModelInfo,
    request: ChatRequest,
    *,
    path: str = CHAT_PATH,
    headers: Mapping[str, str] | None = None,
) -> ChatResponse:
    """Run `request` on `model` with one POST to `{ctx.base_url}{path}`.

    `headers` are added to (and may override) the defaults, for providers that want
    extra ones (OpenRouter's `X-Title`) or authenticate differently.
    """
    with _transport_errors(ctx, model.name):
        response = await ctx.http.post(
            ctx.base_url + path,
            json=_request_body(model, request, stream=False),
            headers=_headers(ctx, headers),
            timeout=ctx.timeout,
        )
    _raise_for_status(ctx, model.name, response)
    return _completion(ctx, model, response)


async def stream_chat_completion(
    ctx: ProviderContext,
    model: ModelInfo,
    request: ChatRequest,
    *,
    path: str = CHAT_PATH,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[ChatChunk]:
    """Run `request` on `model` with `"stream": true`, yielding chunks as they arrive.

    Chunks carry text or the finish reason; role-only and usage-only events are not
    yielded. See the module docstring for which error a broken stream raises.
    """
    reader = _StreamReader(ctx, model)
    try:
        async with ctx.http.stream(
            "POST",
            ctx.base_url + path,
            json=_request_body(model, request, stream=True),
            headers=_headers(ctx, headers, accept="text/event-stream"),
            timeout=ctx.timeout,
        ) as response:
            if not response.is_success:
                await response.aread()
                _raise_for_status(ctx, model.name, response)
            if _is_whole_body(response):  # "stream" ignored, an error in a 200, a web page
                await response.aread()
                yield _as_chunk(_completion(ctx, model, response))
                return
            async with contextlib.aclosing(_sse_data(response)) as events:
                async for data in events:
                    if (chunk := reader.read(data)) is not None:
                        yield chunk
                    if reader.done:
                        return
    except httpx.RequestError as exc:
        raise reader.transport_error(exc) from exc
    reader.check_complete()


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


def _headers(
    ctx: ProviderContext, extra: Mapping[str, str] | None, *, accept: str = "application/json"
) -> dict[str, str]:
    headers = {"Accept": accept}
    if ctx.api_key:
        headers["Authorization"] = f"Bearer {ctx.api_key.reveal()}"
    headers.update(extra or {})
    return headers


# -- reading responses -------------------------------------------------------------------


def _raise_for_status(ctx: ProviderContext, model: str, response: httpx.Response) -> None:
    if not response.is_success:
        raise error_from_response(
            ctx.provider,
            model,
            response.status_code,
            response.headers,
            response.content,
            now=ctx.clock(),
            secrets=[ctx.api_key],
        )


def _decode_json(ctx: ProviderContext, model: str, content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError as exc:  # UnicodeDecodeError included
        raise _malformed(ctx, model, _describe_non_json(ctx, content)) from exc


def _completion(ctx: ProviderContext, model: ModelInfo, response: httpx.Response) -> ChatResponse:
    """The completion in a 2xx body, or the error it carries instead."""
    document = _decode_json(ctx, model.name, response.content)
    if isinstance(document, Mapping) and document.get("error"):
        raise _embedded_error(ctx, model.name, document, response.headers) or _malformed(
            ctx,
            model.name,
            f"HTTP 200 carrying an error: {_snippet(ctx, _upstream_message(document, b''))}",
        )
    choice = _first_choice(document)
    message = choice.get("message") if choice is not None else None
    if choice is None or not isinstance(message, Mapping):
        raise _malformed(ctx, model.name, f"no choices[0].message in {_shape(document)}")
    tool_calls = message.get("tool_calls")
    return ChatResponse(
        model_id=model.id,
        content=_text(message.get("content")),
        finish_reason=_optional_str(choice.get("finish_reason")),
        usage=_usage(document.get("usage")),
        tool_calls=tuple(dict(call) for call in (tool_calls or ()) if isinstance(call, Mapping)),
    )


def _first_choice(document: object) -> Mapping[str, Any] | None:
    choices = document.get("choices") if isinstance(document, Mapping) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        return choices[0]
    return None


def _text(content: object) -> str:
    """Message content as text: a string, or the text parts of a content-part list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return ""


def _usage(usage: object) -> Usage:
    if not isinstance(usage, Mapping):
        return Usage()
    return Usage(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _is_whole_body(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    return "json" in content_type or "html" in content_type


def _as_chunk(response: ChatResponse) -> ChatChunk:
    return ChatChunk(response.content, response.finish_reason or "stop")


def _shape(document: object) -> str:
    if isinstance(document, Mapping):
        return "an object with keys " + ", ".join(sorted(map(str, document))[:8])
    return f"a JSON {type(document).__name__}"


def _describe_non_json(ctx: ProviderContext, content: bytes) -> str:
    if not content.strip():
        return "an empty body"
    if _looks_like_html(content):
        return f"an HTML page instead of JSON ({_snippet(ctx, _plain_text(content), 80)})"
    return f"invalid JSON ({_snippet(ctx, _plain_text(content), 80)})"


def _snippet(ctx: ProviderContext, text: str, limit: int = _MESSAGE_LIMIT) -> str:
    """`text` redacted, then shortened: in that order, so no half key survives the cut."""
    return _truncate(redact(text, [ctx.api_key]), limit)


def _malformed(ctx: ProviderContext, model: str, why: str) -> MalformedResponseError:
    message = redact(f"{ctx.provider}: malformed response: {why}", [ctx.api_key])
    return MalformedResponseError(message, provider=ctx.provider, model=model, status=200)


# -- streams -----------------------------------------------------------------------------


async def _sse_data(response: httpx.Response) -> AsyncGenerator[str, None]:
    """The data of each server-sent event; comments (`: OPENROUTER PROCESSING`) and the
    `event:`/`id:`/`retry:` fields are skipped.

    Lines are split on CR, LF and CRLF only, as the SSE spec says: httpx's `aiter_lines`
    also splits on U+2028 and friends, which JSON strings may carry unescaped.
    """
    buffer, data = "", []
    async for text in response.aiter_text():
        buffer += text
        *lines, buffer = re.split(r"\r\n|\r(?!$)|\n", buffer)
        for line in lines:
            if line:
                field, _, value = line.partition(":")
                if field == "data":
                    data.append(value.removeprefix(" "))
            elif data:
                yield "\n".join(data)
                data = []
    if buffer.startswith("data:"):  # a last event without its blank line
        data.append(buffer[5:].rstrip("\r").removeprefix(" "))
    if data:
        yield "\n".join(data)


@attrs.define
class _StreamReader:
    """Turns event data into chunks, remembering whether any chunk was delivered
    (which decides the error class of a later failure) and whether the stream ended."""

    ctx: ProviderContext
    model: ModelInfo
    delivered: bool = False
    finished: bool = False
    done: bool = False

    def read(self, data: str) -> ChatChunk | None:
        if data.strip() == "[DONE]":
            self.done = True
            return None
        event = self._decode(data)
        if event.get("error"):  # some providers send "error": null in every chunk
            raise self._error_event(event)
        choice = _first_choice(event)
        if choice is None:  # usage-only or keep-alive events
            return None
        delta = choice.get("delta")
        content = _text(delta.get("content")) if isinstance(delta, Mapping) else ""
        finish_reason = _optional_str(choice.get("finish_reason"))
        if finish_reason == "error":
            why = "the provider ended the stream with finish_reason 'error'"
            raise self.interrupted(why)
        self.finished = self.finished or finish_reason is not None
        if not content and finish_reason is None:
            return None
        self.delivered = True
        return ChatChunk(content, finish_reason)

    def _decode(self, data: str) -> Mapping[str, Any]:
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise self._unreadable(data) from exc
        if not isinstance(event, Mapping):
            raise self._unreadable(data)
        return event

    def _unreadable(self, data: str) -> StreamInterruptedError:
        return self.interrupted(f"unreadable event ({_snippet(self.ctx, data, 80)})")

    def _error_event(self, event: Mapping[str, Any]) -> ProviderError:
        mapped = _embedded_error(self.ctx, self.model.name, event, {})
        if mapped is not None and not self.delivered:
            return mapped
        return self.interrupted(f"error event: {_snippet(self.ctx, _upstream_message(event, b''))}")

    def interrupted(self, why: str) -> StreamInterruptedError:
        message = redact(f"{self.ctx.provider}: stream interrupted: {why}", [self.ctx.api_key])
        return StreamInterruptedError(message, provider=self.ctx.provider, model=self.model.name)

    def transport_error(self, exc: httpx.RequestError) -> ProviderError:
        if self.delivered:
            return self.interrupted(f"connection lost ({type(exc).__name__})")
        return _transport_error(self.ctx, self.model.name, exc)

    def check_complete(self) -> None:
        if not (self.done or self.finished):
            why = "the stream ended before [DONE] or a finish reason"
            raise self.interrupted(why)


# -- transport errors --------------------------------------------------------------------


@contextlib.contextmanager
def _transport_errors(ctx: ProviderContext, model: str) -> Iterator[None]:
    try:
        yield
    except httpx.RequestError as exc:
        raise _transport_error(ctx, model, exc) from exc


def _transport_error(ctx: ProviderContext, model: str, exc: httpx.RequestError) -> ProviderError:
    """httpx's failure as the tree's class: no answer in time, bad encoding, or down."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        message = f"{ctx.provider}: no answer within {ctx.timeout:g}s ({kind})"
        return ProviderTimeoutError(
            redact(message, [ctx.api_key]), provider=ctx.provider, model=model
        )
    if isinstance(exc, httpx.DecodingError):
        return _malformed(ctx, model, f"undecodable body ({kind})")
    host = httpx.URL(ctx.base_url).host or ctx.base_url
    message = redact(f"{ctx.provider}: cannot reach {host}: {kind}: {exc}", [ctx.api_key])
    return ProviderUnavailableError(message, provider=ctx.provider, model=model)


# -- HTTP errors -------------------------------------------------------------------------

_BAD_KEY = re.compile(r"api[ _-]?key not valid|invalid[ _-]api[ _-]?key|incorrect api key")
_MODERATION = re.compile(r"moderation|flagged")
_NO_MODEL = re.compile(
    r"model_not_found|no such model|unknown model|not a valid model|"
    r"(?s:\bmodel\b.{0,120}\b(?:not found|does not exist|decommissioned|no longer available))"
)
_TOO_LONG = re.compile(
    r"context[ _-]length|context window|maximum context|too many tokens|"
    r"prompt is too long|request too large|reduce the length|tokens? exceeds?"
)


def error_from_response(
    provider: str,
    model: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    secrets: Iterable[Secret | None] = (),
) -> ProviderError:
    """The error an HTTP error response means, for fallback strategies to decide on.

    - 429 → `RateLimitedError`, `retry_after` from `parse_retry_after`;
    - 401/403 → `AuthenticationError` (a 403 about moderation → `BadRequestError`);
    - a 4xx saying the key is invalid (Gemini's 400) → `AuthenticationError`;
    - 404, or a 4xx saying the model does not exist → `ModelNotFoundError`;
    - 400/413/422 about context length or too many tokens → `ContextTooLongError`;
    - 408 → `ProviderTimeoutError`; any other 4xx → `BadRequestError`;
    - 5xx, 529 and anything else → `ProviderUnavailableError`.

    The message is `"{provider}: HTTP {status}: {upstream message}"`, the upstream message
    taken from the usual shapes and shortened; it is redacted with `secrets` and of
    anything shaped like a key. `now` is the POSIX time that reset times are relative to.
    """
    document = _loads_or_none(body)
    return _build_error(
        provider,
        model,
        status,
        label=f"HTTP {status}",
        upstream=_upstream_message(document, body) or _reason(status),
        text=_classifying_text(document, body),
        retry_after=lambda: parse_retry_after(headers, document, now),
        secrets=secrets,
    )


def _embedded_error(
    ctx: ProviderContext, model: str, document: Mapping[str, Any], headers: Mapping[str, str]
) -> ProviderError | None:
    """The mapped error for `{"error": {"code": 429, ...}}` inside a 200 or a stream;
    None when its code is not an HTTP status."""
    status = _embedded_status(document.get("error"))
    if status is None:
        return None
    now = ctx.clock()
    return _build_error(
        ctx.provider,
        model,
        status,
        label=f"error {status} inside an HTTP 200",
        upstream=_upstream_message(document, b"") or _reason(status),
        text=_classifying_text(document, b""),
        retry_after=lambda: parse_retry_after(headers, document, now),
        secrets=[ctx.api_key],
    )


def _build_error(
    provider: str,
    model: str,
    status: int,
    *,
    label: str,
    upstream: str,
    text: str,
    retry_after: Callable[[], float | None],
    secrets: Iterable[Secret | None],
) -> ProviderError:
    secrets = list(secrets)
    # Redact before shortening, so that a key cut in half cannot slip through.
    shortened = _truncate(redact(upstream, secrets), _MESSAGE_LIMIT)
    message = redact(f"{provider}: {label}: {shortened}", secrets)
    cls = _error_class(status, text)
    if cls is RateLimitedError:
        return RateLimitedError(
            message, provider=provider, model=model, status=status, retry_after=retry_after()
        )
    return cls(message, provider=provider, model=model, status=status)


def _error_class(status: int, text: str) -> type[ProviderError]:
    """The class for `status`, refined by the lowercased upstream `text`."""
    if status == 429:
        return RateLimitedError
    if status in (401, 403):
        return BadRequestError if _MODERATION.search(text) else AuthenticationError
    if 400 <= status < 500:
        return _client_error_class(status, text)
    return ProviderUnavailableError


def _client_error_class(status: int, text: str) -> type[ProviderError]:
    if _BAD_KEY.search(text):
        return AuthenticationError
    if status == 404 or _NO_MODEL.search(text):
        return ModelNotFoundError
    if status in (400, 413, 422) and _TOO_LONG.search(text):
        return ContextTooLongError
    if status == 408:
        return ProviderTimeoutError
    return BadRequestError


def _embedded_status(error: object) -> int | None:
    code = error.get("code") if isinstance(error, Mapping) else None
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
        return code
    return None


def _loads_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _error_object(document: object) -> Mapping[str, Any]:
    """The mapping holding the error fields (Gemini's compat endpoint wraps it in a list)."""
    if isinstance(document, list) and document:
        document = document[0]
    return document if isinstance(document, Mapping) else {}


def _upstream_message(document: object, body: bytes) -> str:
    """The provider's own words, from `{"error": {"message"}}`, `{"error": "text"}`,
    `{"message"}` or `{"detail"}`, else the body as plain text."""
    fields = _error_object(document)
    error = fields.get("error")
    if isinstance(error, Mapping):
        message = _as_text(error.get("message")) or _as_text(error.get("code"))
        raw = _raw_upstream(error)
        return f"{message} (upstream: {raw})" if raw and raw not in message else message
    for key in ("error", "message", "detail"):
        if message := _as_text(fields.get(key)):
            return message
    return _plain_text(body)


def _raw_upstream(error: Mapping[str, Any]) -> str:
    """OpenRouter's `metadata.raw`: the error of the provider it routed to, which often
    says more ("context length exceeded") than its own "Provider returned error"."""
    metadata = error.get("metadata")
    return _as_text(metadata.get("raw")) if isinstance(metadata, Mapping) else ""


def _classifying_text(document: object, body: bytes) -> str:
    """Everything the class may be decided on: message, code, type and status, lowercased."""
    error = _error_object(document).get("error")
    parts = [_upstream_message(document, body)]
    if isinstance(error, Mapping):
        parts.extend(_as_text(error.get(key)) for key in ("code", "type", "status"))
    parts.extend(_as_text(_error_object(document).get(key)) for key in ("code", "type"))
    return " ".join(parts).lower()


def _as_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    return json.dumps(value, separators=(",", ":"), default=str)


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html")) or b"<html" in head


def _plain_text(body: bytes) -> str:
    """A body as one line of text: an HTML page's title, or its text without tags."""
    text = body.decode("utf-8", errors="replace")
    if _looks_like_html(body):
        title = re.search(r"(?is)<title[^>]*>(.*?)</title>", text)
        text = title.group(1) if title else re.sub(r"(?s)<[^>]*>", " ", text)
    return " ".join(text.split())


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "no message"


# -- how long to wait after a 429 --------------------------------------------------------


# A reset time in epoch milliseconds, in epoch seconds, or a number of seconds to wait,
# told apart by size: 1e11 ms is 1973 and 1e11 s the year 5138; 1e9 s is 2001.
_EPOCH_MS_FROM = 1e11
_EPOCH_S_FROM = 1e9
_RESET_PREFIX = "x-ratelimit-reset-"
_REMAINING_PREFIX = "x-ratelimit-remaining-"
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WAIT_IN_TEXT = re.compile(
    r"(?i)(?:try again in|retry in|retry after|wait)\s+"
    r"((?:\d+(?:\.\d+)?(?:ms|h|m|s))+|\d+(?:\.\d+)?)\s*(seconds?|secs?|minutes?|mins?|hours?)?\b"
)
_WORD_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_retry_after(headers: Mapping[str, str], body_json: Any, now: float) -> float | None:
    """Seconds to wait before trying again, from wherever this provider says it; None
    when it does not. Never negative (a reset time in the past means now).

    Looked for in this order: `Retry-After` (seconds or an HTTP date) and
    `retry-after-ms`; Gemini's `google.rpc.RetryInfo.retryDelay` in `error.details`;
    `X-RateLimit-Reset` (OpenRouter's epoch milliseconds, epoch seconds, or seconds);
    per-limit resets such as Groq's `x-ratelimit-reset-tokens: 7.66s` (`_limit_reset`
    says which limit counts); the same headers echoed in OpenRouter's
    `error.metadata.headers`; and last a wait in the message's own words ("Please try
    again in 50.5s", "wait 33 seconds").
    """
    sources: tuple[Callable[[], float | None], ...] = (
        lambda: _header_wait(headers, now),
        lambda: _retry_info(body_json),
        lambda: _header_wait(_metadata_headers(body_json), now),
        lambda: _wait_in_text(body_json),
    )
    for source in sources:
        wait = source()
        if wait is not None:
            return max(0.0, wait)
    return None


def _header_wait(headers: Mapping[str, str], now: float) -> float | None:
    lowered = {name.lower(): value for name, value in headers.items()}
    for wait in (
        _retry_after(lowered, now),
        _reset_at(lowered.get("x-ratelimit-reset"), now),
        _limit_reset(lowered),
    ):
        if wait is not None:
            return wait
    return None


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    if (millis := _number(headers.get("retry-after-ms"))) is not None:
        return millis / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    return seconds if seconds is not None else _http_date_wait(value, now)


def _http_date_wait(value: str, now: float) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp() - now


def _reset_at(value: str | None, now: float) -> float | None:
    """A reset header: an epoch time in ms or s (told apart by size), or a wait."""
    number = _number(value)
    if number is None:
        return _duration(value)
    if number >= _EPOCH_MS_FROM:
        return number / 1000 - now
    if number >= _EPOCH_S_FROM:
        return number - now
    return number


def _limit_reset(headers: Mapping[str, str]) -> float | None:
    """The wait from per-limit reset headers: Groq's `x-ratelimit-reset-requests` and
    `-tokens` ("2m59.56s", "7.66s"), Cerebras' `-requests-day` and `-tokens-minute`
    (seconds). Each pairs with an `x-ratelimit-remaining-<limit>` header.

    When some limits are exhausted (remaining 0) the wait is the latest of their resets,
    since all of them must refill. When none is said to be, the soonest reset: a
    daily reset hours away says when the day's whole budget refills, not when the next
    request may pass, and waiting too little costs only one more 429.
    """
    resets = {
        name.removeprefix(_RESET_PREFIX): wait
        for name, value in headers.items()
        if name.startswith(_RESET_PREFIX) and (wait := _duration(value)) is not None
    }
    exhausted = [
        wait
        for limit, wait in resets.items()
        if _number(headers.get(_REMAINING_PREFIX + limit)) == 0
    ]
    if exhausted:
        return max(exhausted)
    return min(resets.values(), default=None)


def _retry_info(body_json: Any) -> float | None:
    details = _error_object(body_json).get("error")
    details = details.get("details") if isinstance(details, Mapping) else None
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith(
            "google.rpc.RetryInfo"
        ):
            return _duration(detail.get("retryDelay"))
    return None


def _metadata_headers(body_json: Any) -> Mapping[str, str]:
    error = _error_object(body_json).get("error")
    metadata = error.get("metadata") if isinstance(error, Mapping) else None
    headers = metadata.get("headers") if isinstance(metadata, Mapping) else None
    if not isinstance(headers, Mapping):
        return {}
    return {str(name): str(value) for name, value in headers.items()}


def _wait_in_text(body_json: Any) -> float | None:
    match = _WAIT_IN_TEXT.search(_upstream_message(body_json, b""))
    if match is None:
        return None
    amount, word = match.groups()
    wait = _duration(amount)
    if wait is not None and word and _NUMBER.fullmatch(amount):
        wait *= _WORD_UNIT_SECONDS[word[0].lower()]
    return wait


def _number(value: str | None) -> float | None:
    if value is None or not _NUMBER.fullmatch(value.strip()):
        return None
    return float(value)


def _duration(value: object) -> float | None:
    """Seconds in "7.66s", "2m59.56s", "1h2m", "150ms", "20s" or a bare number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if _NUMBER.fullmatch(text):
        return float(text)
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
