"""The gateway's front door, an ASGI layer around the app: the key, the body size, the
number of chat requests at once, and the request metrics.

It runs before any routing or body parsing, so a request without the key, or with a
body over the limit, costs the gateway a header lookup: the body is never read. The
key is compared in constant time (`hmac.compare_digest`), so response timing does not
tell how much of a guess was right. A body sent without `Content-Length` (chunked) is
counted as it arrives and refused once it passes the limit.

A request that calls a model (chat completions, Anthropic's Messages, OpenAI's
Responses: "a chat request" below) takes one of the `max_concurrency` slots only once
its body has arrived whole, within `body_timeout_s` (else 408): a client that sends its
headers and a few bytes, then waits, holds a connection but no slot, so it cannot
starve real requests.

Without a key, web pages are kept out too: a request must name this machine in its
`Host` header (a page that rebinds a name of its own to 127.0.0.1 sends that name) and
send JSON (which a browser sends to another origin only after asking, and no CORS
header of ours lets it).
"""

from __future__ import annotations

import functools
import hmac
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from neoclone_gateway._errors import MESSAGES_PATH, RATE_LIMIT, GatewayError, error_body
from neoclone_gateway._metrics import Metrics
from neoclone_gateway._options import GatewayOptions, is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CHAT_PATH = "/v1/chat/completions"
RESPONSES_PATH = "/v1/responses"
MODEL_PATHS = frozenset({CHAT_PATH, MESSAGES_PATH, RESPONSES_PATH})  # what calls a model
PUBLIC_PATHS = frozenset({"/health"})  # load balancers probe it without a key
_ENDPOINTS = MODEL_PATHS | {"/v1/models", "/health", "/metrics"}
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
RESPONSE_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store")]


class BodyTooLargeError(Exception):
    """The body passed the limit while it was being read."""


class Guard:
    """Wraps the gateway's ASGI app (see the module doc)."""

    def __init__(self, app: ASGIApp, options: GatewayOptions, metrics: Metrics) -> None:
        self.app = app
        self.options = options
        self.metrics = metrics
        self.key = options.key.reveal().encode() if options.key else None
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        endpoint = _endpoint(path)
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", ()), *RESPONSE_HEADERS]
            await send(message)

        try:
            await self._admit(scope, path, receive, sending)
        finally:
            self.metrics.requests.labels(endpoint, str(status[0])).inc()
            self.metrics.request_seconds.labels(endpoint).observe(time.perf_counter() - started)

    async def _admit(self, scope: Scope, path: str, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope, path)
        if refusal is not None:
            await _send_error(send, refusal, path)
            return
        limited = _limited(receive, self.options.max_body_bytes)
        if path not in MODEL_PATHS:
            await self.app(scope, limited, send)
            return
        try:
            with anyio.fail_after(self.options.body_timeout_s):
                body = await _read_body(limited)
        except TimeoutError:
            await _send_error(send, _too_slow(self.options.body_timeout_s), path)
            return
        except BodyTooLargeError:
            await _send_error(send, too_large(self.options.max_body_bytes), path)
            return
        if self.in_flight >= self.options.max_concurrency:
            await _send_error(send, _overloaded(self.options.max_concurrency), path)
            return
        self.in_flight += 1
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, _replayed(body, receive), send)
        finally:
            self.in_flight -= 1
            self.metrics.in_flight.dec()

    def _refusal(self, scope: Scope, path: str) -> GatewayError | None:
        headers = dict(scope["headers"])
        if self.key is not None and path not in PUBLIC_PATHS:
            given = _bearer(headers.get(b"authorization", b"")) or headers.get(b"x-api-key")
            if not given:
                msg = (
                    "missing API key: send the gateway's key as `Authorization: Bearer <key>`"
                    " or `x-api-key: <key>`"
                )
                return GatewayError(401, msg, code="missing_api_key", headers=_CHALLENGE)
            if not hmac.compare_digest(given, self.key):
                return GatewayError(
                    401, "invalid API key", code="invalid_api_key", headers=_CHALLENGE
                )
        if self.key is None and not _names_this_machine(headers.get(b"host")):
            msg = (
                "a gateway without a key answers only requests addressed to this machine"
                " (Host: localhost or 127.0.0.1); set NEOCLONE_GATEWAY_KEY to serve others"
            )
            return GatewayError(403, msg, code="host_not_allowed")
        if scope["method"] == "POST" and not _is_json(headers.get(b"content-type", b"")):
            msg = "send the request body as JSON, with `Content-Type: application/json`"
            return GatewayError(415, msg, code="unsupported_media_type")
        length = headers.get(b"content-length")
        if length is not None and (
            not length.isdigit() or int(length) > self.options.max_body_bytes
        ):
            return too_large(self.options.max_body_bytes)
        return None


@functools.lru_cache(maxsize=64)  # a client sends the same Host on every request
def _names_this_machine(host: bytes | None) -> bool:
    """Whether a `Host` header names a loopback address (or is absent, as only non-browser
    clients send it): a web page that points a name of its own at 127.0.0.1 (DNS
    rebinding) sends that name, and is refused."""
    if host is None:
        return True
    name = host.decode("latin-1").strip()
    if name.startswith("["):  # [::1] or [::1]:8000, and nothing after: not [::1].evil.com
        end = name.find("]")
        if end < 0 or not _PORT.fullmatch(name[end + 1 :]):
            return False
        name = name[1:end]
    elif name.count(":") == 1:
        name, _, port = name.partition(":")
        if not _PORT.fullmatch(f":{port}"):
            return False
    return is_loopback(name)


_PORT = re.compile(r"(?::[0-9]{1,5})?")


def _is_json(content_type: bytes) -> bool:
    """Whether a `Content-Type` is JSON. A browser sends a form or text body to any
    address without asking first, but asks before sending JSON, and no CORS header of
    ours lets it: so other web pages cannot spend the gateway's quotas."""
    media = content_type.partition(b";")[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


def route_path(scope: Scope) -> str:
    """The path below the point the app is mounted at: ASGI servers and Starlette's
    `Mount` keep the mount's prefix (`root_path`) in `path`."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _endpoint(path: str) -> str:
    """The path as a metric label: one of the gateway's, never what a client made up."""
    if path in _ENDPOINTS:
        return path
    return "/v1/models/{id}" if path.startswith("/v1/models/") else "other"


def too_large(limit: int) -> GatewayError:
    """413 for a body over `limit` bytes."""
    msg = f"the request body is larger than the gateway's limit of {limit:,} bytes"
    return GatewayError(413, msg, code="request_too_large")


def _overloaded(limit: int) -> GatewayError:
    msg = f"the gateway is serving its maximum of {limit} chat requests; retry in a second"
    return GatewayError(
        429, msg, type=RATE_LIMIT, code="gateway_busy", headers={"Retry-After": "1"}
    )


def _bearer(value: bytes) -> bytes | None:
    scheme, _, token = value.partition(b" ")
    token = token.strip()
    return token if scheme.lower() == b"bearer" and token else None


async def _read_body(receive: Receive) -> bytes:
    """The whole request body (a client that leaves before sending it all: what came)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replayed(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` whole first, then what the client sends next (its
    disconnect, which streams watch for)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def _too_slow(seconds: float) -> GatewayError:
    msg = f"the request body did not arrive within {seconds:g}s"
    return GatewayError(408, msg, code="request_timeout")


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive`, raising BodyTooLargeError once the body read passes `limit` bytes."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLargeError
        return message

    return limited


async def _send_error(send: Send, error: GatewayError, path: str) -> None:
    await send(
        {"type": "http.response.start", "status": error.status, "headers": error.asgi_headers()}
    )
    await send({"type": "http.response.body", "body": error_body(error, path)})
