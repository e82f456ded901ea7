"""What the core's tests share: inline providers and plugins they script, a hand-moved
clock, the builder behind the `new_neoclone` and `opened_neoclone` fixtures (conftest.py), and
an OpenAI-compatible provider talking real HTTP to a `RecordingServer` for the engine's tests."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Protocol

import anyio
import anyio.lowlevel
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
    build_plugins,
)
from neoclone_core.models import RateLimit
from neoclone_core.openai.compat import chat_completion, stream_chat_completion
from neoclone_core.testing import ProvidersPlugin, RecordingServer, Reply


@attrs.define
class ManualClock:
    """A clock tests move by hand, so TTLs and backoff need no sleeping."""

    now: float = 1_700_000_000.0
    slept: list[float] = attrs.field(factory=list)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """What the engine's backoff sleeps: time moves on, nothing waits."""
        self.slept.append(seconds)
        self.advance(seconds)
        await anyio.lowlevel.checkpoint()


@attrs.define
class FakeProvider:
    """An inline provider whose behaviour each test scripts."""

    name: str
    models: Sequence[str] = ("m1", "m2:free")
    fail_with: BaseException | None = None  # raised by discover()
    chat_error: BaseException | None = None  # raised by chat()
    hang: bool = False
    answer: str = "hello"
    default_base_url: str = "http://127.0.0.1:9"
    api_key_env: str | None = None
    last_resort: bool = False  # a model on this machine: ends every plan
    discover_calls: int = 0
    chat_calls: int = 0
    seen_keys: list[str] = attrs.field(factory=list)

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        self.discover_calls += 1
        if ctx.api_key:
            self.seen_keys.append(ctx.api_key.reveal())
        await anyio.lowlevel.checkpoint()  # proves the coroutine is really awaited
        if self.hang:
            await anyio.sleep_forever()
        if self.fail_with is not None:
            raise self.fail_with
        return [
            ModelInfo(self.name, m, free=m.endswith(":free"), context_length=8192)
            for m in self.models
        ]

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        self.chat_calls += 1
        await anyio.lowlevel.checkpoint()
        if self.chat_error is not None:
            raise self.chat_error
        return ChatResponse(model_id=model.id, content=self.answer)

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        yield ChatChunk(self.answer)


class NewNeoclone(Protocol):
    """The `new_neoclone` fixture: `make_neoclone` on the test's settings and clock."""

    def __call__(
        self, *providers: object, settings: Settings | None = None, **options: Any
    ) -> Neoclone: ...


class OpenedNeoclone(Protocol):
    """The `opened_neoclone` fixture: the same, initialized, with a fixed backoff draw."""

    def __call__(
        self, *providers: object, settings: Settings | None = None, **options: Any
    ) -> contextlib.AbstractAsyncContextManager[Neoclone]: ...


def make_neoclone(
    settings: Settings,
    clock: ManualClock,
    *providers: object,
    env: dict[str, str] | None = None,
    extra: Sequence[object] = (),
    **options: Any,
) -> Neoclone:
    """A Neoclone with the default policies, exactly these providers and the `extra`
    plugins, on hand-moved time; `options` go to `Neoclone` (state, policy, rng,
    transport)."""
    from neoclone_core.default_plugins import default_policies

    plugins = build_plugins(
        entry_points=False,
        extra=[
            *default_policies(),
            ("test-providers", ProvidersPlugin(*providers)),
            *((f"extra-{index}", plugin) for index, plugin in enumerate(extra)),
        ],
    )
    return Neoclone(
        settings,
        plugins=plugins,
        clock=clock,
        env=env or {},
        monotonic=clock,
        sleep=clock.sleep,
        **options,
    )


# -- the engine's tests: real HTTP to a RecordingServer -----------------------------------

CHAT = "/chat/completions"


NO_LIMITS = RateLimit()


@attrs.define
class CompatProvider:
    """An OpenAI-compatible provider over real HTTP; its models are listed, not scanned."""

    name: str
    default_base_url: str
    models: Sequence[tuple[str, int]] = (("m", 8192),)
    api_key_env: str | None = None
    rate_limit: RateLimit = NO_LIMITS  # each model's free-tier limits, as a catalog says

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        return [
            ModelInfo(
                self.name, name, free=True, context_length=context, rate_limit=self.rate_limit
            )
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
