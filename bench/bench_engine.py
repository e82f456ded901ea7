"""What neoclone adds to each request, in microseconds: routing overhead, what a
fallback costs beyond the failed call itself, and what the usage ledger costs a call.

RequestRun: python bench/bench_engine.py [requests]. Each figure is the same work done twice,
once straight through the provider and once through `Neoclone.chat` (or `stream`), in
rounds of sequential requests; the best round counts (the least disturbed by the rest
of the machine). Two upstreams:

- in process: a provider that answers at once, so the difference is all neoclone's;
- a real loopback HTTP server (`neoclone_core.testing.RecordingServer`) through the
  OpenAI-compatible client, where neoclone's share sits beside a real call's.

Everything runs as it does in production (default plugins, the SQLite store, hooks),
except that the failing model's breaker never opens, so every fallback is measured.

The ledger's cost is the budget's work around one call (`Budget.reserve` before it,
`Budget.succeeded` after, correcting the tokens from the response's usage), timed call
by call on the embedded store and given as p50 / p95: for a model without known limits
(counted in memory, written in batches) and for one with ample limits (an atomic
check-and-spend transaction on the SQLite file that counts up to 16 calls ahead, a
sixteenth of what is left at most; the calls after it take from that lease).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import anyio
import httpx
import structlog

from neoclone_core import (
    BreakerPolicy,
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EnginePolicy,
    ModelInfo,
    Neoclone,
    ProviderContext,
    RateLimit,
    Settings,
    Usage,
    build_plugins,
)
from neoclone_core.errors import ProviderUnavailableError
from neoclone_core.openai.compat import chat_completion, stream_chat_completion
from neoclone_core.testing import ProvidersPlugin, RecordingServer, Reply

ROUNDS = 7
NO_LIMIT = RateLimit()
LIMITED = RateLimit(requests_per_minute=10**9, requests_per_day=10**9, tokens_per_minute=10**12)
ANSWERED = ChatResponse("limited/m", "hello", usage=Usage(prompt_tokens=9, completion_tokens=3))
REQUEST = ChatRequest.from_prompt("Say hello")
NEVER_OPEN = EnginePolicy(breaker=BreakerPolicy(consecutive_failures=10**9, failure_ratio=1.0))


class InProcess:
    """Answers (or fails) at once, streaming three chunks."""

    default_base_url = "http://127.0.0.1:9"
    api_key_env = None

    def __init__(self, name: str, *, fails: bool = False, limits: RateLimit = NO_LIMIT) -> None:
        self.name, self.fails, self.limits = name, fails, limits

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        return [ModelInfo(self.name, "m", free=True, context_length=8192, rate_limit=self.limits)]

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        if self.fails:
            msg = "503"
            raise ProviderUnavailableError(msg, provider=self.name)
        return ChatResponse(model.id, "hello")

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        for text in ("hel", "lo", "!"):
            yield ChatChunk(text)


class OverHTTP(InProcess):
    """The same, as an OpenAI-compatible upstream on the loopback server."""

    def __init__(self, name: str, base_url: str) -> None:
        super().__init__(name)
        self.default_base_url = base_url

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        return await chat_completion(ctx, model, request)

    def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        return stream_chat_completion(ctx, model, request)


async def opened(home: Path, *providers: object) -> Neoclone:
    from neoclone_core.default_plugins import default_policies

    plugins = build_plugins(
        entry_points=False,
        extra=[
            *default_policies(),
            ("bench", ProvidersPlugin(*providers)),
        ],
    )
    neoclone = Neoclone(Settings(home=home), plugins=plugins, env={}, policy=NEVER_OPEN)
    await neoclone.initialize()
    return neoclone


async def per_call(call: Callable[[], Awaitable[object]], requests: int) -> float:
    """Seconds per call: the best of ROUNDS rounds of `requests` sequential calls."""
    for _ in range(min(requests, 200)):  # warm up: connections, caches, code paths
        await call()
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(requests):
            await call()
        rounds.append((time.perf_counter() - started) / requests)
    return min(rounds)


async def failing(call: Callable[[], Awaitable[object]]) -> None:
    with contextlib.suppress(ProviderUnavailableError):
        await call()


async def drained(chunks: AsyncIterator[ChatChunk]) -> None:
    async for _ in chunks:
        pass


def line(label: str, seconds: float, baseline: float | None = None) -> None:
    text = f"  {label:<52} {seconds * 1e6:9.1f} µs"
    if baseline is not None:
        text += f"   neoclone adds {(seconds - baseline) * 1e6:7.1f} µs"
    print(text)


async def in_process(home: Path, requests: int) -> None:
    fast, down = InProcess("fast"), InProcess("down", fails=True)
    neoclone = await opened(home, fast, down)
    ctx, model = neoclone._catalog.context("fast"), neoclone.model("fast/m")
    down_ctx, down_model = neoclone._catalog.context("down"), neoclone.model("down/m")
    async with neoclone:
        direct = await per_call(lambda: fast.chat(ctx, model, REQUEST), requests)
        routed = await per_call(lambda: neoclone.chat(REQUEST, models=["fast/m"]), requests)
        failed = await per_call(
            lambda: failing(lambda: down.chat(down_ctx, down_model, REQUEST)), requests
        )
        fallback = await per_call(
            lambda: neoclone.chat(REQUEST, models=["down/m", "fast/m"]), requests
        )
        planned = await per_call(lambda: neoclone.chat(REQUEST), requests // 10 or 1)
        stream_direct = await per_call(lambda: drained(fast.stream(ctx, model, REQUEST)), requests)
        stream_routed = await per_call(lambda: stream_through(neoclone, ["fast/m"]), requests)
    print(f"in process ({requests} requests a round, best of {ROUNDS}):")
    line("chat, straight to the provider", direct)
    line("chat through neoclone (one model named)", routed, direct)
    line("failed call, straight to the provider", failed)
    line("fallback: failed model, then the good one", fallback, failed + direct)
    line("chat through neoclone, plan made for the task", planned, direct)
    line("stream of 3 chunks, straight", stream_direct)
    line("stream of 3 chunks through neoclone", stream_routed, stream_direct)


async def stream_through(neoclone: Neoclone, models: list[str]) -> None:
    async with neoclone.stream(REQUEST, models=models) as stream:
        await drained(stream)


async def over_http(home: Path, requests: int) -> None:
    answer = {"choices": [{"message": {"content": "hello"}, "finish_reason": "stop"}]}
    with RecordingServer() as server:
        server.route("POST", "/fast/v1/chat/completions", Reply(body=answer))
        server.route("POST", "/down/v1/chat/completions", Reply(status=503, body={}))
        fast = OverHTTP("fast", f"{server.url}/fast/v1")
        down = OverHTTP("down", f"{server.url}/down/v1")
        neoclone = await opened(home, fast, down)
        async with neoclone, httpx.AsyncClient() as client:
            ctx = neoclone._catalog.context("fast")
            ctx_own = ProviderContext(
                "fast", ctx.base_url, None, None, ctx.timeout, client, ctx.clock
            )
            down_ctx = ProviderContext(
                "down", down.default_base_url, None, None, ctx.timeout, client, ctx.clock
            )
            model, down_model = neoclone.model("fast/m"), neoclone.model("down/m")
            direct = await per_call(lambda: fast.chat(ctx_own, model, REQUEST), requests)
            routed = await per_call(lambda: neoclone.chat(REQUEST, models=["fast/m"]), requests)
            failed = await per_call(
                lambda: failing(lambda: down.chat(down_ctx, down_model, REQUEST)), requests
            )
            fallback = await per_call(
                lambda: neoclone.chat(REQUEST, models=["down/m", "fast/m"]), requests
            )
    print(f"over loopback HTTP ({requests} requests a round, best of {ROUNDS}):")
    line("chat, straight through the OpenAI-compatible client", direct)
    line("chat through neoclone (one model named)", routed, direct)
    line("failed call (HTTP 503), straight", failed)
    line("fallback: 503 from one model, then the good one", fallback, failed + direct)


async def ledger(home: Path, requests: int) -> None:
    free, limited = InProcess("free"), InProcess("limited", limits=LIMITED)
    neoclone = await opened(home, free, limited)
    budget = neoclone._engine.budget
    print(f"the usage ledger, per call ({requests} calls, embedded SQLite store):")
    async with neoclone:
        for label, model in (
            ("model without known limits (counted in memory)", neoclone.model("free/m")),
            ("model with limits (up to 16 calls counted ahead)", neoclone.model("limited/m")),
        ):
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                reservation = budget.reserve(model, "", REQUEST)
                budget.succeeded(reservation, model, "", ANSWERED)  # type: ignore[arg-type]
                times.append(time.perf_counter() - started)
            times.sort()
            p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
            print(f"  {label:<52} p50 {p50 * 1e6:6.1f} µs   p95 {p95 * 1e6:6.1f} µs")
        free_chat = await per_call(lambda: neoclone.chat(REQUEST, models=["free/m"]), requests)
        limited_chat = await per_call(
            lambda: neoclone.chat(REQUEST, models=["limited/m"]), requests
        )
    line("chat through neoclone, model without limits", free_chat)
    line("chat through neoclone, model with limits", limited_chat, free_chat)


async def main(requests: int) -> None:
    with (
        tempfile.TemporaryDirectory() as one,
        tempfile.TemporaryDirectory() as two,
        tempfile.TemporaryDirectory() as three,
    ):
        await in_process(Path(one), requests)
        await over_http(Path(two), max(requests // 5, 50))
        await ledger(Path(three), requests)
    print(f"(python {sys.version.split()[0]}; per call, the best of {ROUNDS} rounds)")


if __name__ == "__main__":
    # As the CLI does: warnings only (the library itself never configures logging).
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
