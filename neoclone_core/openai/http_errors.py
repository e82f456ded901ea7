"""Mapping a provider's HTTP error onto `neoclone_core.errors`, with a clean message.

The status decides the class, refined by the upstream message (an "API key not valid"
400 is an authentication error, a 400 about context length is `ContextTooLongError`);
the message is the upstream one, shortened and scrubbed of credentials.
"""

from __future__ import annotations

import contextlib
import http
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import httpx

from neoclone_core.errors import (
    AuthenticationError,
    BadRequestError,
    ContextTooLongError,
    MalformedResponseError,
    ModelNotFoundError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    ProviderUnreachableError,
    RateLimitedError,
)
from neoclone_core.openai.error_body import (
    as_text,
    error_object,
    loads_or_none,
    truncate,
    upstream_message,
)
from neoclone_core.openai.retry_after import parse_retry_after
from neoclone_core.provider import ProviderContext
from neoclone_core.redaction import Secret, redact

__all__ = ["error_from_response", "raise_for_status", "transport_errors"]

MESSAGE_LIMIT = 300  # upstream messages can be whole documents; the gist fits in this


_BAD_KEY = re.compile(r"api[ _-]?key not valid|invalid[ _-]api[ _-]?key|incorrect api key")
_MODERATION = re.compile(r"moderation|flagged")
_NO_MODEL = re.compile(
    r"model_not_found|no such model|unknown model|not a valid model|"
    # the model exists but is not served to this account or on this tier (GitHub's
    # "No access to model" / `unavailable_model`, HF's `model_not_supported`, Together's
    # non-serverless models): another model can serve, the key is fine
    r"no access to model|unavailable[ _]model|model_not_supported|"
    r"not supported by any provider|non-serverless|model_not_available|dedicated[ _]endpoint|"
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

    - 429, and 402 (credit or spending limit) → `RateLimitedError`, `retry_after` from
      `parse_retry_after`;
    - 401/403 → `AuthenticationError` (a 403 about moderation → `BadRequestError`, one
      saying the account has no access to the model → `ModelNotFoundError`);
    - a 4xx saying the key is invalid (Gemini's 400) → `AuthenticationError`;
    - 404, or a 4xx saying the model does not exist or is not served to this account
      → `ModelNotFoundError`;
    - 413, and 400/422 about context length or too many tokens → `ContextTooLongError`;
    - 408 → `ProviderTimeoutError`; 410 → `ProviderUnavailableError`;
    - any other 4xx → `BadRequestError`;
    - 5xx, 529 and anything else → `ProviderUnavailableError`.

    The message is `"{provider}: HTTP {status}: {upstream message}"`, the upstream message
    taken from the usual shapes and shortened; it is redacted with `secrets` and of
    anything shaped like a key. `now` is the POSIX time that reset times are relative to.
    """
    document = loads_or_none(body)
    return _build_error(
        provider,
        model,
        status,
        label=f"HTTP {status}",
        upstream=upstream_message(document, body) or _reason(status),
        text=_classifying_text(document, body),
        retry_after=lambda: parse_retry_after(headers, document, now),
        secrets=secrets,
    )


def raise_for_status(ctx: ProviderContext, model: str, response: httpx.Response) -> None:
    """Raise what a non-2xx `response` means (`error_from_response`, with the key of
    `ctx` among the secrets redacted); nothing for a 2xx."""
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


def embedded_error(
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
        upstream=upstream_message(document, b"") or _reason(status),
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
    shortened = truncate(redact(upstream, secrets), MESSAGE_LIMIT)
    message = redact(f"{provider}: {label}: {shortened}", secrets)
    cls = _error_class(status, text)
    if cls is RateLimitedError:
        return RateLimitedError(
            message, provider=provider, model=model, status=status, retry_after=retry_after()
        )
    return cls(message, provider=provider, model=model, status=status)


def _error_class(status: int, text: str) -> type[ProviderError]:
    """The class for `status`, refined by the lowercased upstream `text`."""
    if status in (402, 429):  # 402: the account's credit or spending limit, a quota too
        return RateLimitedError
    if status == 410:  # gone for now (GitHub's retirement brownouts): others can serve
        return ProviderUnavailableError
    if status in (401, 403):
        if _NO_MODEL.search(text):
            return ModelNotFoundError
        return BadRequestError if _MODERATION.search(text) else AuthenticationError
    if 400 <= status < 500:
        return _client_error_class(status, text)
    return ProviderUnavailableError


def _client_error_class(status: int, text: str) -> type[ProviderError]:
    if _BAD_KEY.search(text):
        return AuthenticationError
    if status == 404 or _NO_MODEL.search(text):
        return ModelNotFoundError
    if status == 413 or (status in (400, 422) and _TOO_LONG.search(text)):
        return ContextTooLongError  # 413: the request is larger than this model takes
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


def _classifying_text(document: object, body: bytes) -> str:
    """Everything the class may be decided on: message, code, type and status, lowercased."""
    error = error_object(document).get("error")
    parts = [upstream_message(document, body)]
    if isinstance(error, Mapping):
        parts.extend(as_text(error.get(key)) for key in ("code", "type", "status"))
    parts.extend(as_text(error_object(document).get(key)) for key in ("code", "type"))
    return " ".join(parts).lower()


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "no message"


def snippet(ctx: ProviderContext, text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` redacted, then shortened: in that order, so no half key survives the cut."""
    return truncate(redact(text, [ctx.api_key]), limit)


def malformed_response(ctx: ProviderContext, model: str, why: str) -> MalformedResponseError:
    """A `MalformedResponseError` for a 200 that is not what was asked for."""
    message = redact(f"{ctx.provider}: malformed response: {why}", [ctx.api_key])
    return MalformedResponseError(message, provider=ctx.provider, model=model, status=200)


@contextlib.contextmanager
def transport_errors(
    ctx: ProviderContext,
    model: str,
    mapper: Callable[[ProviderContext, str, httpx.RequestError], ProviderError] | None = None,
) -> Iterator[None]:
    """httpx's transport failures inside the block raised as what `mapper` makes of
    them (`transport_error` unless a provider words them its own way), `from` the cause."""
    try:
        yield
    except httpx.RequestError as exc:
        raise (mapper or transport_error)(ctx, model, exc) from exc


def transport_error(ctx: ProviderContext, model: str, exc: httpx.RequestError) -> ProviderError:
    """httpx's failure as the tree's class: no answer in time, bad encoding, no
    connection to the host, or a connection that broke."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        message = f"{ctx.provider}: no answer within {ctx.timeout:g}s ({kind})"
        return ProviderTimeoutError(
            redact(message, [ctx.api_key]), provider=ctx.provider, model=model
        )
    if isinstance(exc, httpx.DecodingError):
        return malformed_response(ctx, model, f"undecodable body ({kind})")
    host = httpx.URL(ctx.base_url).host or ctx.base_url
    message = redact(f"{ctx.provider}: cannot reach {host}: {kind}: {exc}", [ctx.api_key])
    if isinstance(exc, httpx.ConnectError):  # no connection at all: the host, not the model
        return ProviderUnreachableError(message, provider=ctx.provider, model=model, host=host)
    return ProviderUnavailableError(message, provider=ctx.provider, model=model)
