"""Inline providers and plugins that tests script, shared by the core's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
import anyio.lowlevel
import attrs

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
from neoclone_core.testing import ProvidersPlugin


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
