"""What one chat request costs the gateway's process in CPU, beside a bare forwarding
endpoint, with no socket and no other process: the apps are called as ASGI
applications in this process, their upstream calls answered by an in-memory httpx
transport. On a shared machine, latency over loopback mixes in the scheduler; CPU time
spent in this process does not, so this is where the gateway's own work shows (and
where a profile of it is clean).

RequestRun: python bench/bench_gateway_cpu.py [--requests N] [--profile FILE]
It prints µs of CPU per request (median of five batches) for:

- `bare`: `bare.py`'s Starlette app (read the body, forward it, answer the upstream's bytes);
- `gateway`: `create_app(neoclone)` as `neoclone serve` runs it (guard, parsing, plan,
  engine with its statistics and breakers, the answer in OpenAI's shape).

With `--profile`, pyinstrument's text profile of one more gateway batch goes to FILE
(pyinstrument is not in the bench extra: `pip install pyinstrument`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bare
import bench_provider
import upstream

BASE = "http://upstream.invalid/v1"
BODY = json.dumps(
    {"model": "bench/primary", "messages": [{"role": "user", "content": "Say hello"}]}
).encode()
_COMPLETION = upstream._completion("primary").split(b"\r\n\r\n", 1)[1]
_LISTING = json.dumps({"data": [{"id": m, "object": "model"} for m in upstream.MODELS]}).encode()

App = Callable[[Any, Any, Any], Awaitable[None]]


def _upstream(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/models"):
        return httpx.Response(200, content=_LISTING, headers={"content-type": "application/json"})
    return httpx.Response(200, content=_COMPLETION, headers={"content-type": "application/json"})


async def _call(app: App, body: bytes, model: str) -> int:
    """One `POST /v1/chat/completions` through `app`; its status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "headers": [
            (b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", b"Bearer " + model.encode()),
        ],
    }  # fmt: skip
    sent = False
    status = 0
    never = asyncio.get_running_loop().create_future()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await never  # the client stays: no disconnect
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _batches(
    app: App, body: bytes, requests: int, profile: bool = False
) -> tuple[float, str]:
    """µs of CPU per request (the median of five batches after a warm-up), and with
    `profile` pyinstrument's profile of one more batch (a profiler slows what it
    watches, so it watches none of the five)."""
    for _ in range(200):
        assert await _call(app, body, "x") == 200
    costs = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(requests):
            await _call(app, body, "x")
        costs.append((time.process_time() - started) / requests * 1e6)
    text = ""
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001, async_mode="disabled")
        profiler.start()
        for _ in range(requests):
            await _call(app, body, "x")
        profiler.stop()
        text = profiler.output_text(unicode=True, show_all=False)
    return statistics.median(costs), text


async def _bare(requests: int) -> float:
    os.environ[bare.UPSTREAM_ENV] = BASE.removesuffix("/v1")
    os.environ[bare.TRANSPORT_ENV] = "httpx"
    os.environ.setdefault(bare.KEY_ENV, "sk-bench")
    app = bare.create_app(transport=httpx.MockTransport(_upstream))
    cost, _ = await _batches(app, BODY.replace(b"bench/primary", b"primary"), requests)
    return cost


async def _gateway(requests: int, profile: bool) -> tuple[float, str]:
    import logging

    import structlog
    from neoclone_gateway import create_app

    from neoclone_core import Neoclone, ProviderSettings, Settings, build_plugins
    from neoclone_core.default_plugins import default_policies

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as home:
        plugins = build_plugins(
            entry_points=False, extra=[*default_policies(), ("bench", bench_provider)]
        )
        settings = Settings(home=Path(home), providers={"bench": ProviderSettings(base_url=BASE)})
        neoclone = Neoclone(
            settings,
            plugins=plugins,
            env={bench_provider.KEY_ENV: "sk-bench"},
            transport=httpx.MockTransport(_upstream),
        )
        async with neoclone:
            await neoclone.discover()
            return await _batches(create_app(neoclone), BODY, requests, profile)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per batch")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    bare_us = asyncio.run(_bare(args.requests))
    gateway_us, profile = asyncio.run(_gateway(args.requests, args.profile is not None))
    if args.profile is not None:
        args.profile.write_text(profile)
    print(f"bare     {bare_us:7.0f} µs CPU per request")
    print(f"gateway  {gateway_us:7.0f} µs CPU per request ({gateway_us / bare_us:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
