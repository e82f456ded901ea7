"""A soak of the gateway: mixed, partly hostile traffic against a real `neoclone serve`
for a bounded time, on loopback only, to see that it keeps serving and does not grow.

Run: nice -n 10 python bench/soak.py [--duration 600] [--concurrency 50] [--out FILE]

The upstream is a fake OpenRouter in its own process (`neoclone_gateway.testing`'s
recording server) whose models behave as named: `alpha` is dead (503 every time),
`beta` flaky (every third call 500), `gamma` healthy, `delta` slow (answers after 3 s).
`--concurrency` clients loop over these kinds of request, drawn by weight:

- `fallback`: alpha, then gamma (the dead model's breaker opens and stays open);
- `flaky`: beta, then gamma; `stream`: a stream from gamma;
- `slow_body`: a chat body sent in three pieces, 0.5 s apart;
- `disconnect`: delta, the client leaving after 0.3 s (the gateway must cancel);
- `big_body` (5 MiB, 413), `big_head` (a 1 MiB header, 431), `many_headers` (431).

Each request is counted under its kind and its outcome (a status code, or the error
the client saw); an outcome its kind does not expect counts as an error. The gateway's
RSS and open file descriptors are sampled after a warm-up and every 30 s; the report
(stdout, and JSON with `--out`) gives them at the start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from neoclone_gateway.testing import (
    CHAT,
    GatewayProcess,
    answer,
    failure,
    listing,
    model_id,
    tokens,
    write_config,
)

from neoclone_core.testing import RecordedRequest, RecordingServer, Reply

HELLO = [{"role": "user", "content": "hello"}]
WARM_UP_S = 15.0
SAMPLE_EVERY_S = 30.0
MIB = 1024 * 1024
# kind: (weight, the outcomes it expects)
KINDS: dict[str, tuple[float, frozenset[str]]] = {
    "fallback": (4, frozenset({"200"})),
    "flaky": (3, frozenset({"200"})),
    "stream": (2, frozenset({"200"})),
    "slow_body": (1, frozenset({"200"})),
    "disconnect": (1, frozenset({"left"})),
    "big_body": (0.5, frozenset({"413"})),
    "big_head": (0.5, frozenset({"431"})),
    "many_headers": (0.5, frozenset({"431"})),
}


# -- the upstream, in a process of its own ----------------------------------------------------


def _upstream_reply(calls: Counter[str]) -> Callable[[RecordedRequest], Reply]:
    """The fake OpenRouter's chat endpoint, counting in `calls` each model's calls."""

    def reply(request: RecordedRequest) -> Reply:
        body = request.json()
        name = body["model"].removeprefix("vendor/").removesuffix(":free")
        calls[name] += 1
        if name == "alpha":
            return failure(503, "no healthy upstream")
        if name == "beta" and calls[name] % 3 == 0:
            return failure(500, "internal error")
        if body.get("stream"):
            return tokens("answer ", "from ", name)
        return answer(f"answer from {name}") if name != "delta" else _slow(name)

    return reply


def _slow(name: str) -> Reply:
    message = {"role": "assistant", "content": f"answer from {name}"}
    body = {"id": "u-1", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    return Reply(body=body, delay_s=3.0)


def _run_upstream(urls: Any, stop: Any, hits: Any) -> None:
    calls: Counter[str] = Counter()
    with RecordingServer() as server:
        server.route("GET", "/api/v1/models", Reply(body=listing()))
        server.route("POST", CHAT, _upstream_reply(calls))
        urls.put(server.url + "/api/v1")
        while not stop.wait(5.0):
            server.reset()  # the recorded requests are not needed: the counts are kept
    hits.put(dict(calls))


# -- the clients ------------------------------------------------------------------------------


async def _fallback(client: httpx.AsyncClient, url: str) -> str:
    return await _chat(client, {"model": model_id("alpha"), "models": [model_id("gamma")]})


async def _flaky(client: httpx.AsyncClient, url: str) -> str:
    return await _chat(client, {"model": model_id("beta"), "models": [model_id("gamma")]})


async def _stream(client: httpx.AsyncClient, url: str) -> str:
    body = {"model": model_id("gamma"), "messages": HELLO, "stream": True}
    async with client.stream("POST", "/v1/chat/completions", json=body) as streamed:
        text = "".join([piece async for piece in streamed.aiter_text()])
    return str(streamed.status_code) if "[DONE]" in text else "stream_unfinished"


async def _disconnect(client: httpx.AsyncClient, url: str) -> str:
    body = {"model": model_id("delta"), "messages": HELLO}
    try:
        with_timeout = asyncio.wait_for(client.post("/v1/chat/completions", json=body), 0.3)
        return str((await with_timeout).status_code)
    except asyncio.TimeoutError:
        return "left"


async def _big_body(client: httpx.AsyncClient, url: str) -> str:
    return await _chat(client, {"model": model_id("gamma"), "user": "u" * (5 * MIB)})


async def _big_head(client: httpx.AsyncClient, url: str) -> str:
    return await asyncio.to_thread(_huge_header, url)


async def _many_headers(client: httpx.AsyncClient, url: str) -> str:
    many = {f"x-header-{i}": "v" for i in range(150)}
    return str((await client.get("/health", headers=many)).status_code)


async def _chat(client: httpx.AsyncClient, fields: dict[str, Any]) -> str:
    response = await client.post("/v1/chat/completions", json={"messages": HELLO, **fields})
    return str(response.status_code)


async def _slow_body(client: httpx.AsyncClient, url: str) -> str:
    data = json.dumps({"model": model_id("gamma"), "messages": HELLO}).encode()

    async def pieces() -> AsyncIterator[bytes]:
        third = len(data) // 3
        for start in (0, third, 2 * third):
            yield data[start : start + third if start < 2 * third else None]
            await asyncio.sleep(0.5)

    headers = {"content-type": "application/json"}
    response = await client.post("/v1/chat/completions", content=pieces(), headers=headers)
    return str(response.status_code)


def _huge_header(url: str) -> str:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ")
            sock.sendall(b"a" * MIB + b"\r\n\r\n")
        except OSError:
            pass  # refused while sending: the answer is still to read
        try:
            answer = sock.recv(64)
        except ConnectionResetError:
            return "reset"
    return answer.split(b" ")[1].decode() if answer.startswith(b"HTTP/1.1 ") else "no_answer"


async def _worker(
    url: str, until: float, outcomes: Counter[tuple[str, str]], rng: random.Random
) -> None:
    kinds, weights = list(KINDS), [weight for weight, _ in KINDS.values()]
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as client:
        while time.monotonic() < until:
            kind = rng.choices(kinds, weights)[0]
            try:
                outcome = await REQUESTS[kind](client, url)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            outcomes[kind, outcome] += 1


REQUESTS: dict[str, Callable[[httpx.AsyncClient, str], Awaitable[str]]] = {
    "fallback": _fallback,
    "flaky": _flaky,
    "stream": _stream,
    "slow_body": _slow_body,
    "disconnect": _disconnect,
    "big_body": _big_body,
    "big_head": _big_head,
    "many_headers": _many_headers,
}


# -- the gateway's resources ------------------------------------------------------------------


def _sample(pid: int, at: float) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kib = next(int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmRSS:")
    return {"at_s": round(at, 1), "rss_mib": round(rss_kib / 1024, 1), "fds": _fds(pid)}


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def _sampler(pid: int, started: float, until: float, samples: list[dict[str, float]]) -> None:
    await asyncio.sleep(WARM_UP_S)
    while True:
        samples.append(_sample(pid, time.monotonic() - started))
        if time.monotonic() >= until:
            return
        await asyncio.sleep(min(SAMPLE_EVERY_S, max(0.0, until - time.monotonic())))


async def _soak(url: str, pid: int, duration_s: float, concurrency: int) -> dict[str, Any]:
    started = time.monotonic()
    until = started + duration_s
    outcomes: Counter[tuple[str, str]] = Counter()
    samples = [_sample(pid, 0.0)]
    seeds = random.Random(16)  # noqa: S311 (the same mix every run, not a secret)
    workers = [
        _worker(url, until, outcomes, random.Random(seeds.random()))  # noqa: S311
        for _ in range(concurrency)
    ]
    await asyncio.gather(_sampler(pid, started, until, samples), *workers)
    elapsed = time.monotonic() - started
    await asyncio.sleep(5.0)  # the last cancelled calls and closed connections settle
    samples.append(_sample(pid, time.monotonic() - started))
    return _report(outcomes, samples, elapsed, concurrency)


def _report(
    outcomes: Counter[tuple[str, str]],
    samples: list[dict[str, float]],
    elapsed: float,
    concurrency: int,
) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    errors: Counter[str] = Counter()
    for (kind, outcome), count in sorted(outcomes.items()):
        by_kind.setdefault(kind, {})[outcome] = count
        if outcome not in KINDS[kind][1]:
            errors[f"{kind}:{outcome}"] += count
    served = sum(c for (kind, outcome), c in outcomes.items() if outcome in KINDS[kind][1])
    return {
        "duration_s": round(elapsed, 1),
        "concurrency": concurrency,
        "requests": sum(outcomes.values()),
        "as_expected": served,
        "errors": dict(errors),
        "by_kind": by_kind,
        "idle": samples[0],
        "start": samples[1],  # after the warm-up
        "end": samples[-2],  # when the traffic stopped
        "settled": samples[-1],  # 5 s later
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of traffic")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--out", type=Path, help="where to write the report as JSON")
    parser.add_argument("--log", type=Path, help="where to write the gateway's log (-v)")
    args = parser.parse_args()
    if args.duration <= WARM_UP_S:
        parser.error(f"--duration must be more than the {WARM_UP_S:g} s warm-up")
    context = multiprocessing.get_context("spawn")
    urls, hits, stop = context.Queue(), context.Queue(), context.Event()
    upstream = context.Process(target=_run_upstream, args=(urls, stop, hits), daemon=True)
    upstream.start()
    with tempfile.TemporaryDirectory() as directory:
        config = write_config(Path(directory), urls.get(timeout=30))
        gateway = GatewayProcess(config).start()
        try:
            report = asyncio.run(_soak(gateway.url, gateway.pid, args.duration, args.concurrency))
        finally:
            exit_code = gateway.stop()
        report["gateway_exit"] = exit_code  # 0: SIGTERM stopped it gracefully
        report["tracebacks_logged"] = gateway.logs.count("Traceback")
        if args.log:
            args.log.write_text(gateway.logs)
    stop.set()
    report["upstream_calls"] = hits.get(timeout=60)
    upstream.join(10)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    sys.exit(0 if not report["errors"] else 1)


if __name__ == "__main__":
    main()
