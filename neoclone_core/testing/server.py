"""A local HTTP server that replays recorded responses and injects faults, for tests.

Provider plugins test their real HTTP code against it and the core tests its fallback
engine with it: every reply is scripted, every request is recorded, and faults (a slow
first byte, a stream cut or stalled mid-way, an empty reply) are one field away. It is a
real HTTP/1.1 server with keep-alive on 127.0.0.1, run in a background thread, so httpx,
sync or async, talks to it exactly as it talks to a provider.

Usage::

    from neoclone_core.testing import RecordingServer, Reply

    def test_falls_back_after_a_rate_limit():
        with RecordingServer() as server:
            server.route("GET", "/api/tags", Reply.json_file(FIXTURES / "ollama-tags.json"))
            server.route(
                "POST",
                "/v1/chat/completions",
                Reply(status=429, headers={"retry-after": "2"}, body={"error": {}}),
                Reply.sse([{"choices": [{"delta": {"content": "hi"}}]}]),
            )
            ...  # run the code under test against base_url=server.url
        assert server.hits("POST", "/v1/chat/completions") == 2
        assert server.requests[-1].json()["stream"] is True

What an httpx client sees for each fault (httpx 0.28):

- ``delay_s`` longer than the client's read timeout: ``httpx.ReadTimeout``.
- ``cut_after_events``: the events sent so far, then ``httpx.RemoteProtocolError``
  (incomplete chunked read), because streams use chunked encoding as providers do.
- ``stall_after_events``: the events sent so far, then ``httpx.ReadTimeout``.
- ``close_without_response``: ``httpx.RemoteProtocolError`` (server disconnected
  without sending a response).

Stopping the server wakes every delayed or stalled reply and closes every connection,
so leaving the ``with`` block is quick and leaves no thread behind.
"""

from __future__ import annotations

import contextlib
import io
import re
import socket
import socketserver
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import httpx

from neoclone_core.testing.replies import (
    SSE_HEADERS,
    RecordedRequest,
    Reply,
    ReplyFactory,
    encode_body,
    merged_headers,
    sse_frame,
)
from neoclone_core.testing.service import StartStop

__all__ = ["RecordedRequest", "RecordingServer", "Reply", "ReplyFactory"]

_HOST = "127.0.0.1"
_POLL_INTERVAL_S = 0.02  # how soon the accept loop notices a stop
_JOIN_TIMEOUT_S = 2.0  # per connection thread, only if a reply callable hangs
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})


@attrs.define
class _Route:
    replies: tuple[Reply | ReplyFactory, ...]
    served: int = 0

    def next_reply(self) -> Reply | ReplyFactory:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


def _matches(pattern: str, path: str) -> bool:
    """Whether `path` fits `pattern`, where each "*" stands for any run of characters."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, path) is not None


def _specificity(pattern: str) -> tuple[bool, int]:
    """Exact patterns win over wildcards, then the most literal characters win."""
    return "*" not in pattern, len(pattern.replace("*", ""))


def _error_reply(status: int, message: str) -> Reply:
    return Reply(status=status, body={"error": {"message": message}})


def _call(factory: ReplyFactory, request: RecordedRequest) -> Reply:
    try:
        reply = factory(request)
    except Exception as exc:
        return _error_reply(500, f"reply callable raised {exc!r}")
    else:
        return reply


class RecordingServer(StartStop):
    """Serves scripted replies on 127.0.0.1 and records every request.

    Use it as a context manager: `with RecordingServer() as server:`, then point the code
    under test at `server.url`. Routes and recorded requests outlive the `with` block.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], _Route] = {}
        self._requests: list[RecordedRequest] = []
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, such as "http://127.0.0.1:54321", while the server runs."""
        if self._httpd is None:
            msg = "the server is not running; use `with RecordingServer() as server:`"
            raise RuntimeError(msg)
        return f"http://{_HOST}:{self._httpd.server_port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def route(self, method: str, path: str, *replies: Reply | ReplyFactory) -> None:
        """Answer `method path` with `replies` in order; the last one repeats.

        `path` is matched against the request path without its query string; a "*"
        matches any run of characters, "/" included ("/api/v1/models/*/endpoints").
        Exact paths win over wildcards. Routing the same method and path again
        replaces the route and starts its replies over.
        """
        if not replies:
            msg = f"route {method} {path} needs at least one reply"
            raise ValueError(msg)
        with self._lock:
            self._routes[method.upper(), path] = _Route(replies)

    def hits(self, method: str | None = None, path: str | None = None) -> int:
        """How many recorded requests match `method` and `path` (a pattern as in `route`)."""
        return sum(
            (method is None or request.method == method.upper())
            and (path is None or _matches(path, request.path))
            for request in self.requests
        )

    def reset(self) -> None:
        """Forget the recorded requests; routes stay."""
        with self._lock:
            self._requests.clear()

    def start(self) -> RecordingServer:
        """Listen on an ephemeral port and serve in a background thread."""
        if self._httpd is not None:
            msg = "the server is already running"
            raise RuntimeError(msg)
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            args=(_POLL_INTERVAL_S,),
            name=f"RecordingServer:{self._httpd.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake delayed and stalled replies, close every connection, join every thread."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._httpd = self._thread = None
        httpd.stopping.set()
        httpd.shutdown()
        thread.join()
        httpd.close_connections()
        httpd.server_close()

    def _respond_to(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            route = self._find_route(request.method, request.path)
            reply = route.next_reply() if route is not None else None
        if reply is None:
            return _error_reply(404, f"no route for {request.method} {request.path}")
        return reply if isinstance(reply, Reply) else _call(reply, request)

    def _find_route(self, method: str, path: str) -> _Route | None:
        patterns = [p for (m, p) in self._routes if m == method and _matches(p, path)]
        if not patterns:
            return None
        return self._routes[method, max(patterns, key=_specificity)]


class _HTTPServer(ThreadingHTTPServer):
    """Tracks its connections so that stopping can close them and join their threads."""

    daemon_threads = True
    request_queue_size = 128  # the default 5 resets connections when 50 clients connect at once

    def __init__(self, owner: RecordingServer) -> None:
        self.owner = owner
        self.stopping = threading.Event()
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._connections_lock = threading.Lock()
        super().__init__((_HOST, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can hang without a network.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = _HOST, self.socket.getsockname()[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"RecordingServer:{self.server_port}:connection",
            daemon=self.daemon_threads,
        )
        with self._connections_lock:
            self._connections[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.pop(threading.current_thread(), None)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = dict(self._connections)
        for connection in connections.values():
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in connections:
            thread.join(_JOIN_TIMEOUT_S)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (timeout, cancelled stream) is normal here, not an error.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms stalls between the head and the body
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read `RecordingServer.requests`, not an access log."""

    def _serve(self) -> None:
        reply = self.server.owner._respond_to(self._record())
        delayed_until_stop = reply.delay_s > 0 and self.server.stopping.wait(reply.delay_s)
        if delayed_until_stop or reply.close_without_response:
            self._hang_up()
        elif reply.events is None:
            self._send_body(reply)
        else:
            self._send_events(reply, reply.events)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _record(self) -> RecordedRequest:
        path, _, query = self.path.partition("?")
        headers = httpx.Headers(list(self.headers.items()))
        return RecordedRequest(self.command, path, query, headers, self._read_body())

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return _read_chunked(self.rfile)
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _send_head(self, status: int, headers: Mapping[str, str], framing: tuple[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in _FRAMING_HEADERS:
                self.send_header(name, value)
        self.send_header(*framing)
        self.end_headers()

    def _send_body(self, reply: Reply) -> None:
        body, content_type = encode_body(reply.body)
        defaults = {"Content-Type": content_type} if content_type else {}
        self._send_head(
            reply.status,
            merged_headers(defaults, reply.headers),
            ("Content-Length", str(len(body))),
        )
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_events(self, reply: Reply, events: tuple[str, ...]) -> None:
        self._send_head(
            reply.status,
            merged_headers(SSE_HEADERS, reply.headers),
            ("Transfer-Encoding", "chunked"),
        )
        stop_after = (
            reply.cut_after_events if reply.stall_after_events is None else reply.stall_after_events
        )
        for index, event in enumerate(events[:stop_after]):
            if index and reply.event_delay_s > 0 and self.server.stopping.wait(reply.event_delay_s):
                self._hang_up()
                return
            self._write_chunk(sse_frame(event))
        if reply.stall_after_events is not None:
            self.server.stopping.wait()
        if stop_after is not None:
            self._hang_up()
        else:
            self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _hang_up(self) -> None:
        """Close the connection now, mid-response if need be."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _read_chunked(rfile: io.BufferedIOBase) -> bytes:
    body = bytearray()
    while size := int(rfile.readline().split(b";")[0], 16):
        body += rfile.read(size)
        rfile.readline()
    while rfile.readline().strip():  # trailer fields, if any
        continue
    return bytes(body)
