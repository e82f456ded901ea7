"""What the engine's tests share: an OpenAI-compatible provider that talks real HTTP to a
`RecordingServer`, scripted replies, and a Neoclone whose time is a hand-moved clock."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import anyio
import attrs
import httpx

from neoclone_core import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Neoclone,
    ProviderContext,
    Settings,
)
from neoclone_core.openai.compat import chat_completion, stream_chat_completion
from neoclone_core.testing import RecordingServer, Reply
from tests.support import ManualClock, make_neoclone

CHAT = "/chat/completions"


@attrs.define
class CompatProvider:
    """An OpenAI-compatible provider over real HTTP; its models are listed, not scanned."""

    name: str
    default_base_url: str
    models: Sequence[tuple[str, int]] = (("m", 8192),)
    api_key_env: str | None = None

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        return [
            ModelInfo(self.name, name, free=True, context_length=context)
            for name, context in self.models
        ]

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        return await chat_completion(ctx, model, request)

    def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        return stream_chat_completion(ctx, model, request)


def answer(text: str) -> Reply:
    """A whole completion saying `text`."""
    message = {"role": "assistant", "content": text}
    return Reply(body={"choices": [{"message": message, "finish_reason": "stop"}]})


def sse(*texts: str, **fields: Any) -> Reply:
    """A stream of one chunk per text, a finish reason, then [DONE]."""
    chunks: list[dict[str, Any]] = [{"choices": [{"delta": {"content": t}}]} for t in texts]
    chunks.append({"choices": [{"delta": {}, "finish_reason": "stop"}]})
    return Reply.sse(chunks, **fields)


def error(status: int, message: str = "upstream trouble", **fields: Any) -> Reply:
    """An OpenAI-shaped error response."""
    return Reply(status=status, body={"error": {"message": message}}, **fields)


def path(provider: str) -> str:
    """The chat path of `provider`'s upstream on the shared server."""
    return f"/{provider}/v1{CHAT}"


def upstream(server: RecordingServer, provider: str, **kwargs: Any) -> CompatProvider:
    """A provider whose upstream is `/{provider}/v1` on `server`."""
    return CompatProvider(provider, f"{server.url}/{provider}/v1", **kwargs)


def free_port() -> int:
    """A loopback port nobody listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.asynccontextmanager
async def neoclone(
    settings: Settings,
    clock: ManualClock,
    *providers: object,
    rng: Callable[[], float] = lambda: 0.5,
    **options: Any,
) -> AsyncIterator[Neoclone]:
    """`build(...)`, initialized (its providers' models listed), closed at the end."""
    async with build(settings, clock, *providers, rng=rng, **options) as nc:
        await nc.initialize()
        yield nc


def build(settings: Settings, clock: ManualClock, *providers: object, **options: Any) -> Neoclone:
    """`make_neoclone` whose backoff jitter is a fixed draw unless `rng` says otherwise."""
    options.setdefault("rng", lambda: 0.5)
    return make_neoclone(settings, clock, *providers, **options)


def active_connections(neoclone: Neoclone) -> int:
    """Connections of the shared HTTP client still busy with a request."""
    transport = neoclone._http._transport
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    return sum(not c.is_idle() and not c.is_closed() for c in transport._pool.connections)


async def wait_for(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll `condition` until it holds: the server's threads cannot set an anyio Event."""
    with anyio.fail_after(within):
        while not condition():  # noqa: ASYNC110
            await anyio.sleep(0.005)


def body_of(request: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(request.body)
    return result
