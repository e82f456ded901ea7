"""Ollama's native API over the core's shared HTTP client, with its failures mapped.

Ollama speaks JSON to `/api/*` and streams NDJSON, not OpenAI's dialect, so
`neoclone_core.openai.compat` cannot carry these calls; HTTP error statuses still go
through `neoclone_core.openai.http_errors`, which reads Ollama's `{"error": "text"}` bodies.
The one failure worth its own words is the common one: nothing listens at the base
URL, which almost always means Ollama is not running.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any

import httpx

from neoclone_core import ProviderContext
from neoclone_core.errors import (
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    ProviderUnreachableError,
)
from neoclone_core.openai.error_body import truncate
from neoclone_core.openai.http_errors import raise_for_status, transport_errors
from neoclone_core.provider_kit import malformed

_SNIPPET = 80
_OPENAI_SUFFIX = "/v1"  # where OpenAI clients point; the native API lives at the root


def native_base(ctx: ProviderContext) -> str:
    """The server root: a base URL configured the OpenAI way (`.../v1`) is accepted."""
    return ctx.base_url.rstrip("/").removesuffix(_OPENAI_SUFFIX)


async def get_json(ctx: ProviderContext, path: str) -> Any:
    """GET `path` and decode its JSON body."""
    with transport_errors(ctx, "", transport_error):
        response = await ctx.http.get(native_base(ctx) + path, timeout=ctx.timeout)
    raise_for_status(ctx, "", response)
    return decode(ctx, "", response.content)


async def post_json(ctx: ProviderContext, path: str, body: Mapping[str, Any], model: str) -> Any:
    """POST `body` to `path` and decode the JSON answer."""
    with transport_errors(ctx, model, transport_error):
        response = await ctx.http.post(native_base(ctx) + path, json=body, timeout=ctx.timeout)
    raise_for_status(ctx, model, response)
    return decode(ctx, model, response.content)


@contextlib.asynccontextmanager
async def stream_lines(
    ctx: ProviderContext, path: str, body: Mapping[str, Any], model: str
) -> AsyncIterator[AsyncIterator[str]]:
    """POST `body` and give the answer's lines as they arrive (NDJSON).

    HTTP errors raise before the first line; transport failures are the caller's to
    map, since only it knows whether a line was already delivered.
    """
    url = native_base(ctx) + path
    async with ctx.http.stream("POST", url, json=body, timeout=ctx.timeout) as response:
        if not response.is_success:
            await response.aread()
            raise_for_status(ctx, model, response)
        async with contextlib.aclosing(_lines(response)) as lines:
            yield lines


async def _lines(response: httpx.Response) -> AsyncGenerator[str, None]:
    """Lines split on LF only: JSON text may hold U+0085 or U+2028 unescaped, which
    httpx's `aiter_lines` would also split on."""
    buffer = b""
    async for data in response.aiter_bytes():
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", errors="replace")
    if buffer.strip():
        yield buffer.decode("utf-8", errors="replace")


def transport_error(ctx: ProviderContext, model: str, exc: httpx.RequestError) -> ProviderError:
    """No answer in time, nothing listening (Ollama not running), or a broken connection."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        message = f"{ctx.provider}: no answer within {ctx.timeout:g}s ({kind})"
        return ProviderTimeoutError(message, provider=ctx.provider, model=model)
    if isinstance(exc, httpx.ConnectError):
        message = (
            f"{ctx.provider}: Ollama is not running at {native_base(ctx)}"
            " (start it with `ollama serve`, or set the provider's base_url)"
        )
        host = httpx.URL(ctx.base_url).host
        return ProviderUnreachableError(message, provider=ctx.provider, model=model, host=host)
    message = f"{ctx.provider}: connection to {native_base(ctx)} failed ({kind})"
    return ProviderUnavailableError(message, provider=ctx.provider, model=model)


def decode(ctx: ProviderContext, model: str, content: bytes) -> Any:
    """JSON, or MalformedResponseError saying what came instead."""
    try:
        return json.loads(content)
    except ValueError as exc:  # UnicodeDecodeError included
        raise malformed(ctx.provider, f"not JSON ({snippet(content)})", model=model) from exc


def snippet(content: bytes | str) -> str:
    """The start of a body, on one line, for error messages."""
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
    return truncate(text, _SNIPPET) or "an empty body"
