"""One contender's measurements, in a process of its own: `compare.py` runs this once
per contender and repetition, so imports, memory and warm caches never leak between
contenders.

RequestRun: python bench/workload.py CONTENDER --upstream URL [--target URL] --sizes JSON
--out FILE. CONTENDER is one of `CONTENDERS`; `--target` is the gateway or proxy
for the contenders called over HTTP. The results (JSON) go to FILE.

Every contender does the same work against the same fake upstream (`upstream.py`):

- `chat`: one completion of the model `primary`;
- `fallback`: the model `failing` (HTTP 500), then `primary`; for the floor, the two
  calls made one after the other, which is what a fallback cannot avoid costing;
- `stream`: a streamed completion of `primary`, timed to its first text and its end.

Scenarios, in order: a warm-up, `c1` (sequential chats), `c50` (chats 50 at a time,
for latency under load and requests/s), `stream` (sequential), `fallback`
(sequential). After each, the upstream's call counts are read back and kept, so the
report can show that every contender made exactly the calls the scenario asks for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import

API_KEY = "sk-bench-not-a-secret"
PROMPT = "Say hello"
MESSAGES = [{"role": "user", "content": PROMPT}]
MAX_TOKENS = 16
CONCURRENCY = 50
KEEPALIVE_S = 2.0


class Contender(Protocol):
    async def open(self) -> None: ...
    async def chat(self) -> None: ...
    async def fallback(self) -> None: ...
    async def stream(self) -> tuple[float, float]:
        """Seconds to the first text, and to the end of the stream."""
        ...

    async def close(self) -> None: ...


class BadAnswerError(RuntimeError):
    """A contender answered something other than the upstream's completion."""


def _check(content: str | None) -> None:
    if not content or "bench upstream" not in content:
        msg = f"unexpected answer: {content!r}"
        raise BadAnswerError(msg)


async def _first_text_at(texts: AsyncIterator[str | None]) -> float | None:
    """Read a stream's texts to the end, check what they say, and return when the first
    text arrived (None if none did)."""
    first = None
    parts = []
    async for text in texts:
        if text:
            first = first or time.perf_counter()
            parts.append(text)
    _check("".join(parts))
    return first


def _stream_times(started: float, first: float | None) -> tuple[float, float]:
    """Time to the first text and to the end of the stream (now), from `started`."""
    end = time.perf_counter()
    return (first or end) - started, end - started


def _sse_text(line: str) -> str | None:
    """The text of one server-sent event line of a chat stream (None for other lines)."""
    line = line.strip()
    if not line.startswith("data:"):
        return None
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    choices = json.loads(data).get("choices") or [{}]
    text: str | None = (choices[0].get("delta") or {}).get("content")
    return text


# -- the floor: raw HTTP clients --------------------------------------------------------


class Httpx:
    """Raw `httpx.AsyncClient` calls, configured as neoclone's client is: the floor.

    With `base` set to a gateway or proxy, the same calls go there instead (the
    contenders called over HTTP), naming `chat_model` and `fallback_model`.
    """

    def __init__(
        self,
        base: str,
        *,
        chat_model: str = "primary",
        fallback_model: str | Callable[[], str] | None = None,
        fallback_extra: dict[str, Any] | None = None,
        key: str = API_KEY,
        module: str = "httpx",
        transport: Any = None,
    ) -> None:
        import importlib

        httpx = importlib.import_module(module)  # httpx, or its fork httpx2
        self.url = f"{base}/chat/completions"
        self.chat_model = chat_model
        self.fallback_model: Callable[[], str] | None = (
            (lambda: fallback_model) if isinstance(fallback_model, str) else fallback_model
        )
        self.fallback_extra = fallback_extra or {}
        self.headers = {"Authorization": f"Bearer {key}"}
        # Idle connections expire before the 5 s after which uvicorn closes them (the
        # gateway's and LiteLLM proxy's server), so no request races a closing one.
        limits = httpx.Limits(max_keepalive_connections=100, keepalive_expiry=KEEPALIVE_S)
        self.client = httpx.AsyncClient(limits=limits, timeout=30.0, transport=transport)

    async def open(self) -> None:
        pass

    def _body(self, model: str, **extra: Any) -> dict[str, Any]:
        return {"model": model, "messages": MESSAGES, "max_tokens": MAX_TOKENS, **extra}

    async def _post(self, model: str, **extra: Any) -> int:
        response = await self.client.post(
            self.url, json=self._body(model, **extra), headers=self.headers
        )
        if response.status_code == 200:
            _check(response.json()["choices"][0]["message"]["content"])
        status: int = response.status_code
        return status

    async def chat(self) -> None:
        status = await self._post(self.chat_model)
        if status != 200:
            msg = f"status {status}"
            raise BadAnswerError(msg)

    async def fallback(self) -> None:
        if self.fallback_model is None:  # the floor: the failed call, then the good one
            if await self._post("failing") != 500:
                msg = "the failing model did not fail"
                raise BadAnswerError(msg)
            await self.chat()
            return
        status = await self._post(self.fallback_model(), **self.fallback_extra)
        if status != 200:
            msg = f"status {status}"
            raise BadAnswerError(msg)

    async def stream(self) -> tuple[float, float]:
        started = time.perf_counter()
        body = self._body(self.chat_model, stream=True)
        async with self.client.stream("POST", self.url, json=body, headers=self.headers) as r:
            if r.status_code != 200:
                msg = f"status {r.status_code}"
                raise BadAnswerError(msg)
            # Read to the end: the connection is reused.
            first = await _first_text_at(_sse_text(line) async for line in r.aiter_lines())
        return _stream_times(started, first)

    async def close(self) -> None:
        await self.client.aclose()


class Aiohttp(Httpx):
    """The same calls through aiohttp, to see what the HTTP client itself costs."""

    def __init__(self, base: str) -> None:
        self.url = f"{base}/chat/completions"
        self.chat_model, self.fallback_model, self.fallback_extra = "primary", None, {}
        self.headers = {"Authorization": f"Bearer {API_KEY}"}

    async def open(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=100)
        self.session = aiohttp.ClientSession(connector=connector)

    async def _post(self, model: str, **extra: Any) -> int:
        body = self._body(model, **extra)
        async with self.session.post(self.url, json=body, headers=self.headers) as response:
            if response.status == 200:
                _check((await response.json())["choices"][0]["message"]["content"])
            else:
                await response.read()
            return response.status

    async def stream(self) -> tuple[float, float]:
        started = time.perf_counter()
        body = self._body("primary", stream=True)
        async with self.session.post(self.url, json=body, headers=self.headers) as r:
            first = await _first_text_at(_sse_text(raw.decode()) async for raw in r.content)
        return _stream_times(started, first)

    async def close(self) -> None:
        await self.session.close()


# -- neoclone, in process ---------------------------------------------------------------


class NeocloneEngine:
    """`Neoclone.chat` / `stream` with the models named, over the bench provider
    (`bench_provider.py`) pointed at the upstream; the default plugins, the SQLite
    store, hooks and statistics all as in production. Breakers never open, so that
    every fallback request really calls the failing model (LiteLLM runs with cooldowns
    disabled). With `aiohttp`, neoclone's HTTP client runs on an aiohttp transport
    (`httpx-aiohttp`) instead of httpcore's pool; without `last_resort`, the config's
    `local_fallback` is false (no local model is installed here either way)."""

    def __init__(self, base: str, *, aiohttp: bool = False, last_resort: bool = True) -> None:
        self.base = base
        self.aiohttp = aiohttp
        self.last_resort = last_resort
        self.home = tempfile.TemporaryDirectory(prefix="neoclone-bench-")

    async def open(self) -> None:
        import logging

        import bench_provider
        import structlog

        from neoclone_core import (
            BreakerPolicy,
            ChatRequest,
            EnginePolicy,
            Neoclone,
            ProviderSettings,
            Settings,
            build_plugins,
        )
        from neoclone_core.default_plugins import default_policies

        # Warnings only, as the CLI and gateway log (the library configures nothing).
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
        plugins = build_plugins(
            entry_points=False,
            extra=[
                *default_policies(),
                ("bench", bench_provider),
            ],
        )
        settings = Settings(
            home=Path(self.home.name),
            providers={"bench": ProviderSettings(base_url=self.base)},
            local_fallback=self.last_resort,  # the default: True
        )
        never_open = BreakerPolicy(consecutive_failures=10**9, failure_ratio=1.0)
        self.neoclone = Neoclone(
            settings,
            plugins=plugins,
            env={bench_provider.KEY_ENV: API_KEY},
            policy=EnginePolicy(breaker=never_open),
            transport=aiohttp_transport() if self.aiohttp else None,
        )
        await self.neoclone.initialize()
        self.request = ChatRequest.from_prompt(PROMPT, max_tokens=MAX_TOKENS)

    async def chat(self) -> None:
        response, _ = await self.neoclone.chat(self.request, models=["bench/primary"])
        _check(response.content)

    async def fallback(self) -> None:
        response, route = await self.neoclone.chat(
            self.request, models=["bench/failing", "bench/primary"]
        )
        _check(response.content)
        if route.fallbacks != 1:
            msg = f"expected one fallback, the route says {route.fallbacks}"
            raise BadAnswerError(msg)

    async def stream(self) -> tuple[float, float]:
        started = time.perf_counter()
        async with self.neoclone.stream(self.request, models=["bench/primary"]) as stream:
            first = await _first_text_at(chunk.content async for chunk in stream)
        return _stream_times(started, first)

    async def close(self) -> None:
        await self.neoclone.aclose()
        self.home.cleanup()


def aiohttp_transport() -> Any:
    """An httpx transport that sends through aiohttp (the `httpx-aiohttp` package)."""
    import httpx
    from httpx_aiohttp import AiohttpTransport

    return AiohttpTransport(limits=httpx.Limits(max_keepalive_connections=100))


# -- LiteLLM's Router, in process -------------------------------------------------------


class LiteLLMRouter:
    """`Router.acompletion` over two deployments of the upstream, `failing` falling back
    to `primary`: no retries (neither the Router's nor the OpenAI client's), cooldowns
    disabled, as neoclone's breaker is kept shut."""

    def __init__(self, base: str) -> None:
        self.base = base

    async def open(self) -> None:
        import litellm

        litellm.suppress_debug_info = True
        litellm.telemetry = False
        self.router: Any = litellm.Router(  # type: ignore[attr-defined]
            model_list=[
                litellm_deployment(name, self.base, API_KEY) for name in ("primary", "failing")
            ],
            fallbacks=[{"failing": ["primary"]}],
            num_retries=0,
            disable_cooldowns=True,
        )

    async def chat(self) -> None:
        response = await self.router.acompletion(
            model="primary", messages=MESSAGES, max_tokens=MAX_TOKENS
        )
        _check(response.choices[0].message.content)

    async def fallback(self) -> None:
        response = await self.router.acompletion(
            model="failing", messages=MESSAGES, max_tokens=MAX_TOKENS
        )
        _check(response.choices[0].message.content)

    async def stream(self) -> tuple[float, float]:
        started = time.perf_counter()
        response = await self.router.acompletion(
            model="primary", messages=MESSAGES, max_tokens=MAX_TOKENS, stream=True
        )
        first = await _first_text_at(
            chunk.choices[0].delta.content if chunk.choices else None async for chunk in response
        )
        return _stream_times(started, first)

    async def close(self) -> None:
        pass


def litellm_deployment(name: str, base: str, key: str) -> dict[str, Any]:
    """One LiteLLM deployment of the upstream model `name` (Router and proxy alike)."""
    return {
        "model_name": name,
        "litellm_params": {
            "model": f"openai/{name}",
            "api_base": base,
            "api_key": key,
            "max_retries": 0,
        },
    }


# -- the measurements -------------------------------------------------------------------


class FailingPool:
    """Models that fail, each named at most four times: a breaker that cannot be
    switched off (the gateway's) opens after five failures in a row, and would then
    skip the failing model instead of calling it. `first` is where this worker's
    share of the upstream's failing-<i> models starts."""

    USES = 4

    def __init__(self, first: int, prefix: str = "bench/") -> None:
        self.next, self.prefix = first * self.USES, prefix

    def __call__(self) -> str:
        index, self.next = self.next // self.USES, self.next + 1
        return f"{self.prefix}failing-{index}"


def contender(
    name: str, upstream: str, target: str | None, key: str, failing_first: int
) -> Contender:
    """The contender `name`, its calls aimed at the upstream or at `target`."""
    base = f"{upstream}/v1"
    direct: dict[str, Callable[[], Contender]] = {
        "httpx": lambda: Httpx(base),
        "httpx2": lambda: Httpx(base, module="httpx2"),
        "aiohttp": lambda: Aiohttp(base),
        "httpx+aiohttp": lambda: Httpx(base, transport=aiohttp_transport()),
        "neoclone": lambda: NeocloneEngine(base),
        "neoclone-no-last-resort": lambda: NeocloneEngine(base, last_resort=False),
        "neoclone+aiohttp": lambda: NeocloneEngine(base, aiohttp=True, last_resort=False),
        "litellm-router": lambda: LiteLLMRouter(base),
    }
    if name in direct:
        return direct[name]()
    if target is None:
        msg = f"{name} is called over HTTP: give --target"
        raise SystemExit(msg)
    if name.startswith("bare-endpoint"):  # forwards the floor's calls as they are
        return Httpx(f"{target}/v1", key=key)
    if name.startswith("neoclone-gateway"):
        return Httpx(
            f"{target}/v1",
            chat_model="bench/primary",
            fallback_model=FailingPool(failing_first),
            fallback_extra={"models": ["bench/primary"]},  # OpenRouter's fallback field
            key=key,
        )
    if name.startswith("litellm-proxy"):
        return Httpx(f"{target}/v1", fallback_model="failing", key=key)
    msg = f"unknown contender {name!r}"
    raise SystemExit(msg)


CONTENDERS = (
    "httpx",
    "httpx2",
    "aiohttp",
    "httpx+aiohttp",
    "neoclone",
    "neoclone-no-last-resort",
    "neoclone+aiohttp",
    "bare-endpoint",
    "bare-endpoint-2w",
    "neoclone-gateway",
    "neoclone-gateway-2w",
    "neoclone-gateway+aiohttp",
    "neoclone-gateway-no-last-resort",
    "litellm-router",
    "litellm-proxy",
    "litellm-proxy-2w",
)
WORKERS_SUFFIX = "-2w"  # a server contender run with two worker processes


def workers(name: str) -> int:
    """How many worker processes the server behind contender `name` runs."""
    return 2 if name.endswith(WORKERS_SUFFIX) else 1


async def timed(call: Callable[[], Awaitable[None]], count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - started)
    return latencies


async def concurrently(
    call: Callable[[], Awaitable[None]], count: int, width: int
) -> tuple[list[float], float]:
    """`count` calls, `width` at a time; each call's latency, and the wall time."""
    latencies: list[float] = []
    left = count

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(width)))
    return latencies, time.perf_counter() - started


class Upstream:
    """The upstream's call counts, read and reset between scenarios."""

    def __init__(self, url: str) -> None:
        self.url = url

    def calls(self, *, reset: bool = True) -> dict[str, Any]:
        """{"calls": completions by model, "connections": opened} since the last reset."""
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 (the harness's own loopback URL)
            f"{self.url}/stats", method="POST" if reset else "GET"
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            counts: dict[str, Any] = json.loads(response.read())
        return counts


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50": rank(0.50),
        "p90": rank(0.90),
        "p99": rank(0.99),
        "mean": sum(ordered) / len(ordered),
    }


async def scenario(
    upstream: Upstream, work: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    upstream.calls(reset=True)
    cpu = time.process_time()
    result = await work()
    result["cpu_s"] = time.process_time() - cpu
    stats = upstream.calls(reset=True)
    result["upstream_calls"] = stats["calls"]
    result["connections"] = stats["connections"] - 1  # not the one reading the counts
    return result


def warmup_fallbacks(sizes: dict[str, int]) -> int:
    return max(sizes["warmup"] // 10, 2)


def fallback_calls(sizes: dict[str, int]) -> int:
    """How many fallback requests one worker makes, warm-up included."""
    return warmup_fallbacks(sizes) + sizes["fallback"]


async def measure(client: Contender, sizes: dict[str, int], upstream: Upstream) -> dict[str, Any]:
    await client.open()
    try:
        for _ in range(sizes["warmup"]):
            await client.chat()
        for _ in range(warmup_fallbacks(sizes)):
            await client.stream()
            await client.fallback()

        async def c1() -> dict[str, Any]:
            return summary(await timed(client.chat, sizes["c1"]))

        async def c50() -> dict[str, Any]:
            latencies, wall = await concurrently(client.chat, sizes["c50"], CONCURRENCY)
            return {**summary(latencies), "wall_s": wall, "rps": len(latencies) / wall}

        async def stream() -> dict[str, Any]:
            times = [await client.stream() for _ in range(sizes["stream"])]
            ttft = summary([first for first, _ in times])
            return {**ttft, "total_p50": summary([end for _, end in times])["p50"]}

        async def fallback() -> dict[str, Any]:
            return summary(await timed(client.fallback, sizes["fallback"]))

        results = {"c1": await scenario(upstream, c1)}
        # c50's connections opened before it, not before c1: httpcore's pool looks at
        # every idle connection twice a request (`has_expired` polls its socket), so the
        # fifty a burst leaves cost each sequential request about 100 polls in the client
        # and as many in a server's upstream pool, until they expire (5 s).
        await asyncio.gather(*(client.chat() for _ in range(CONCURRENCY)))
        return {
            **results,
            "c50": await scenario(upstream, c50),
            "stream": await scenario(upstream, stream),
            "fallback": await scenario(upstream, fallback),
        }
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=CONTENDERS)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--target")
    parser.add_argument("--key", default=API_KEY, help="the key the target wants")
    parser.add_argument("--failing-first", type=int, default=0)
    parser.add_argument("--sizes", required=True, type=json.loads)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    client = contender(args.contender, args.upstream, args.target, args.key, args.failing_first)
    scenarios = asyncio.run(measure(client, args.sizes, Upstream(args.upstream)))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "contender": args.contender,
        "scenarios": scenarios,
        "peak_rss_mib": peak_kib / 1024,
        "python": sys.version.split()[0],
    }
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
