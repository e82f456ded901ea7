"""A fake OpenAI-compatible upstream for the benchmarks, in its own process.

RequestRun: python bench/upstream.py [--port N]. It listens on 127.0.0.1 (an ephemeral port
unless given), prints "READY <port>" once it accepts connections, and serves until it
is sent SIGTERM or SIGINT:

- `GET /v1/models`: the models `primary`, `backup`, `failing` (and failing-<i>);
- `POST /v1/chat/completions`: a completion at once, or with `"stream": true` a
  server-sent-events stream of `STREAM_PIECES` chunks and `[DONE]` (chunked encoding,
  as providers send it); any model whose name starts with "fail" answers 500;
- `GET /stats`: how many completions each model was asked for, so the harness can
  check that every contender made the calls it claims (one failed call and one good
  one per fallback, no hidden retries), and how many connections were opened;
  `POST /stats` reads and zeroes them.

It is a bare `asyncio.Protocol` (HTTP/1.1 with keep-alive, bodies by Content-Length),
on uvloop when that is installed, because on two cores the upstream must cost much
less than any client it serves, or every contender would measure the upstream.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from collections import Counter
from typing import Any, cast

HOST = "127.0.0.1"
MODELS = ("primary", "backup", "failing")
STREAM_PIECES = ("Hello", " from", " the", " bench", " upstream", ",", " streaming", ".")
CONTENT = "Hello from the bench upstream."
CREATED = 1_700_000_000
_MAX_HEAD = 64 * 1024


def _response(status: int, reason: str, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"content-type: {content_type}\r\n"
        f"content-length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


def _json(status: int, reason: str, document: object) -> bytes:
    return _response(status, reason, json.dumps(document).encode(), "application/json")


def _completion(model: str) -> bytes:
    return _json(
        200,
        "OK",
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": CONTENT},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16},
        },
    )


def _failure(model: str) -> bytes:
    error = {"message": f"{model}: the bench upstream fails on purpose", "type": "server_error"}
    return _json(500, "Internal Server Error", {"error": error})


def _chunk(data: str) -> bytes:
    event = f"data: {data}\n\n".encode()
    return f"{len(event):x}\r\n".encode() + event + b"\r\n"


def _stream(model: str) -> bytes:
    """The whole streamed answer: headers, one HTTP chunk per SSE event, the last chunk."""

    def event(delta: dict[str, str], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return json.dumps(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": model,
                "choices": [choice],
            }
        )

    events = [event({"role": "assistant", "content": ""})]
    events += [event({"content": piece}) for piece in STREAM_PIECES]
    events += [event({}, "stop"), "[DONE]"]
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    return head + b"".join(_chunk(e) for e in events) + b"0\r\n\r\n"


class Upstream:
    """The answers, computed once per model, and the counts of completions asked for.

    The model list holds `MODELS` and `failing_models` more named failing-<i>, for
    contenders whose breakers cannot be switched off: each of those models is called
    at most four times, never enough to open a breaker (see `compare.py`).
    """

    def __init__(self, failing_models: int = 0) -> None:
        self.calls: Counter[str] = Counter()
        self.connections = 0  # accepted so far: a client that reconnects shows here
        self._answers: dict[tuple[str, bool], bytes] = {}
        names = [*MODELS, *(f"failing-{i}" for i in range(failing_models))]
        self.models = _json(
            200,
            "OK",
            {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": CREATED, "owned_by": "bench"}
                    for m in names
                ],
            },
        )

    def answer(self, method: str, path: str, body: bytes) -> bytes:
        if method == "POST" and path.endswith("/chat/completions"):
            return self.complete(body)
        if method == "GET" and path.endswith("/models"):
            return self.models
        if path == "/stats":  # POST: the counts so far, then zeroed
            counts = {"calls": dict(self.calls), "connections": self.connections}
            if method == "POST":
                self.calls.clear()
                self.connections = 0
            return _json(200, "OK", counts)
        if path == "/health":
            return _json(200, "OK", {"status": "ok"})
        return _json(404, "Not Found", {"error": {"message": f"no route {method} {path}"}})

    def complete(self, body: bytes) -> bytes:
        try:
            request: dict[str, Any] = json.loads(body)
            model = str(request["model"])
        except (ValueError, KeyError, TypeError):
            return _json(400, "Bad Request", {"error": {"message": "no model in the body"}})
        stream = bool(request.get("stream"))
        self.calls[model] += 1
        key = (model, stream)
        answer = self._answers.get(key)
        if answer is None:
            if model.startswith("fail"):
                answer = _failure(model)
            else:
                answer = _stream(model) if stream else _completion(model)
            self._answers[key] = answer
        return answer


class Connection(asyncio.Protocol):
    """One keep-alive connection: requests parsed from the buffer as they complete."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's is no subclass
        self.upstream.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and self._one_request():
            pass

    def _one_request(self) -> bool:
        """Answer the first complete request in the buffer; False when there is none."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > _MAX_HEAD:
                self._close(_json(431, "Request Header Fields Too Large", {}))
            return False
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        method, path, _ = [*lines[0].split(" "), "", ""][:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._close(_json(501, "Not Implemented", {"error": "chunked request bodies"}))
            return False
        length = int(headers.get("content-length", "0") or 0)
        if len(self.buffer) < end + 4 + length:
            return False
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        assert self.transport is not None
        self.transport.write(self.upstream.answer(method, path.split("?", 1)[0], body))
        if headers.get("connection", "").lower() == "close":
            self._close(b"")
            return False
        return True

    def _close(self, last: bytes) -> None:
        if self.transport is not None:
            if last:
                self.transport.write(last)
            self.transport.close()
            self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(port: int, failing_models: int) -> None:
    loop = asyncio.get_running_loop()
    upstream = Upstream(failing_models)
    server = await loop.create_server(lambda: Connection(upstream), HOST, port, backlog=2048)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    bound = server.sockets[0].getsockname()[1]
    print(f"READY {bound}", flush=True)
    async with server:
        await stop.wait()


def run(port: int = 0, failing_models: int = 0) -> None:
    """Serve until signalled, on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(port, failing_models))
    else:
        uvloop.run(serve(port, failing_models))


def loop_name() -> str:
    """The event loop the upstream runs on: uvloop when installed, else asyncio's."""
    with contextlib.suppress(ImportError):
        import uvloop  # noqa: F401

        return "uvloop"
    return "asyncio"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--failing-models", type=int, default=0)
    args = parser.parse_args()
    run(args.port, args.failing_models)
