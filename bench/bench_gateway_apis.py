"""What each API of the gateway costs: chat completions, Anthropic's Messages and
OpenAI's Responses, plain and streamed, over the same loopback upstream.

RequestRun: python bench/bench_gateway_apis.py [--requests N] [--rounds R]

First, in process, what each translation costs per request: reading the body, writing
a whole answer, and writing the events of an eight-chunk stream (chat completions' own
shapes beside them). Then it starts the fake upstream (`upstream.py`) and `neoclone
serve` over it (`servers.py`), and, in rounds, sends each API `N` sequential requests
from one keep-alive httpx client, in a rotating order. It prints, per API and mode, the
median over the rounds of each round's median client latency, and for plain requests
the median `x-neoclone-overhead-ms` (the gateway's own work beyond the upstream call).
Nothing is written: the figures compare the translations with the chat endpoint on the
same machine in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import servers

MODEL = "bench/primary"
QUESTION = "Say hello."


def _chat(stream: bool) -> tuple[str, dict[str, Any]]:
    body = {"model": MODEL, "messages": [{"role": "user", "content": QUESTION}]}
    return "/v1/chat/completions", {**body, "stream": stream}


def _messages(stream: bool) -> tuple[str, dict[str, Any]]:
    body = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": QUESTION}]}
    return "/v1/messages", {**body, "stream": stream}


def _responses(stream: bool) -> tuple[str, dict[str, Any]]:
    return "/v1/responses", {"model": MODEL, "input": QUESTION, "stream": stream}


APIS: dict[str, Callable[[bool], tuple[str, dict[str, Any]]]] = {
    "chat": _chat,
    "messages": _messages,
    "responses": _responses,
}


def run_once(
    client: httpx.Client, api: str, stream: bool, requests: int
) -> tuple[float, float | None]:
    """The median latency (ms) of `requests` calls, and the median overhead header."""
    path, body = APIS[api](stream)
    latencies: list[float] = []
    overheads: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        if stream:
            with client.stream("POST", path, json=body) as response:
                response.raise_for_status()
                for _ in response.iter_bytes():
                    pass
        else:
            response = client.post(path, json=body)
            response.raise_for_status()
            overheads.append(float(response.headers["x-neoclone-overhead-ms"]))
        latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies), (statistics.median(overheads) if overheads else None)


def translation_costs(repeat: int = 2000) -> dict[str, tuple[float, float]]:
    """Microseconds per request, by API: (body read + whole answer, stream events)."""
    from neoclone_gateway._anthropic import parse_messages
    from neoclone_gateway._body import parse_chat_body
    from neoclone_gateway._responses import parse_responses
    from neoclone_gateway._shapes import ChunkWriter, completion

    from neoclone_core import ChatChunk, ChatResponse

    answer = ChatResponse(model_id=MODEL, content="Hello from the bench upstream.")
    chunks = [ChatChunk(content=piece) for piece in ("Hello", " from", " the", " bench") * 2]
    chunks.append(ChatChunk(finish_reason="stop"))

    def chat_whole() -> None:
        parse_chat_body(json.dumps(_chat(False)[1]).encode())
        completion(answer, "chatcmpl-1", 0)

    def chat_stream() -> None:
        writer = ChunkWriter("chatcmpl-1", 0, MODEL)
        for chunk in chunks:
            writer.chunk({"content": chunk.content}, chunk.finish_reason)

    def translated(parse: Callable[[bytes], Any], body: dict[str, Any]) -> tuple[Any, Any]:
        raw = json.dumps(body).encode()

        def whole() -> None:
            parse(raw).answer(answer)

        def stream() -> None:
            events = parse(raw).events(MODEL)
            events.opening()
            for chunk in chunks:
                events.chunk(chunk)
            events.closing()

        return whole, stream

    cases = {
        "chat": (chat_whole, chat_stream),
        "messages": translated(parse_messages, _messages(False)[1]),
        "responses": translated(parse_responses, _responses(False)[1]),
    }
    return {
        api: tuple(  # type: ignore[misc]
            min(timeit.repeat(run, number=repeat, repeat=5)) / repeat * 1e6 for run in runs
        )
        for api, runs in cases.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("in process, microseconds per request (best of 5)")
    print(f"{'api':<10} {'whole':>8} {'stream':>8}")
    for api, (whole, stream) in translation_costs().items():
        print(f"{api:<10} {whole:>8.1f} {stream:>8.1f}")
    cases = [(api, stream) for stream in (False, True) for api in APIS]
    results: dict[tuple[str, bool], list[tuple[float, float | None]]] = {c: [] for c in cases}
    with tempfile.TemporaryDirectory() as tmp, servers.running([]) as started:
        workdir = Path(tmp)
        upstream = servers.start_upstream(workdir, 0)
        started.append(upstream)
        gateway = servers.start_gateway(workdir, upstream.url, "bench-key", last_resort=False)
        started.append(gateway)
        with httpx.Client(base_url=gateway.url, timeout=30) as client:
            for api, stream in cases:  # warm up every path once
                run_once(client, api, stream, 20)
            for round_index in range(args.rounds):
                shift = round_index % len(cases)
                for case in cases[shift:] + cases[:shift]:
                    results[case].append(run_once(client, *case, args.requests))
    print(f"{args.rounds} rounds x {args.requests} sequential requests, medians")
    print(f"{'api':<10} {'mode':<7} {'latency ms':>11} {'overhead ms':>12}")
    for (api, stream), figures in results.items():
        latency = statistics.median(f[0] for f in figures)
        overheads = [f[1] for f in figures if f[1] is not None]
        overhead = f"{statistics.median(overheads):.3f}" if overheads else "-"
        print(f"{api:<10} {'stream' if stream else 'plain':<7} {latency:>11.3f} {overhead:>12}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
