"""A stream sent to the client as server-sent events in the shape of its API (chat
completions, Anthropic's Messages, OpenAI's Responses), written by that API's
`EventEncoder`.

The `ChatStream` arrives here already open: the engine has found a model and holds its
first chunk, so every failure before the first token became a fallback or an HTTP
error status, never a broken stream. From here on:

- each upstream chunk (text, tool-call pieces) is sent as soon as it arrives (no
  buffering);
- a failure after the first token ends the stream with the API's error event, because
  two models' answers must not be spliced together;
- a client that disconnects cancels the upstream call at once, and the stream is
  always closed, whatever ended it;
- the route arrives as an SSE comment (`: neoclone route: ...`), which clients ignore,
  before the API's closing events.

Starlette's `StreamingResponse` is not used because it never closes its iterator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import anyio
import structlog

from neoclone_core import ChatChunk, ChatStream, Route, Secret, redact
from neoclone_core.errors import ProviderError
from neoclone_gateway._guard import Message, Receive, Scope, Send
from neoclone_gateway._route import describe

log = structlog.get_logger("neoclone")
_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"x-accel-buffering", b"no"),  # proxies such as nginx must not hold chunks back
]


class EventEncoder(Protocol):
    """The events of one streamed answer, in one API's shape; each method returns the
    bytes to send (b"" for none)."""

    def opening(self) -> bytes:
        """What comes before the first chunk (the API's "started" events)."""

    def chunk(self, chunk: ChatChunk) -> bytes:
        """The events for one upstream chunk."""

    def closing(self) -> bytes:
        """What ends a stream the model finished (the API's "stopped" events)."""

    def failure(self, message: str, code: str) -> bytes:
        """The API's error event, for a stream that broke after its first chunk."""


def sse_event(name: str, data: Mapping[str, Any]) -> bytes:
    """One named event: `event: <name>`, and `data` as JSON whose `type` is the name too
    (both APIs name their events so)."""
    payload = json.dumps({"type": name, **data}, separators=(",", ":"), ensure_ascii=False)
    return f"event: {name}\ndata: {payload}\n\n".encode()


class EventStreamResponse:
    """The ASGI response for one open stream (see the module doc); `on_end` hears the
    route (None when the client left first)."""

    def __init__(
        self,
        stream: ChatStream,
        encoder: EventEncoder,
        *,
        headers: Sequence[tuple[bytes, bytes]],
        secrets: Sequence[Secret | None],
        on_end: Callable[[Route | None], None],
    ) -> None:
        self._stream = stream
        self._encoder = encoder
        self._headers = [*_HEADERS, *headers]
        self._secrets = secrets
        self._on_end = on_end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self._headers})
            async with anyio.create_task_group() as group:
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
                await self._pump(send)
                group.cancel_scope.cancel()
        except OSError:
            pass  # the client went away while we wrote (ASGI 2.4 servers raise OSError)
        finally:
            await self._stream.__aexit__(None, None, None)
            self._on_end(self._stream.route)

    async def _pump(self, send: Send) -> None:
        encoder = self._encoder
        await send(_body(encoder.opening()))
        try:
            async for chunk in self._stream:
                if data := encoder.chunk(chunk):
                    await send(_body(data))
        except ProviderError as exc:  # broke after the first token: say so, in the stream
            message = redact(str(exc), self._secrets)
            await send(_body(encoder.failure(message, exc.kind), more=False))
            return
        except Exception as exc:  # a bug here must not leave the client hanging
            log.exception("neoclone.gateway_stream_failed", error=type(exc).__name__)
            failed = encoder.failure("internal error in the gateway", "internal")
            await send(_body(failed, more=False))
            return
        route = self._stream.route
        comment = f": neoclone route: {describe(route)}\n\n".encode() if route else b""
        await send(_body(comment + encoder.closing(), more=False))


def _body(data: bytes, *, more: bool = True) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    """Wait for the client to hang up, then stop the stream."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
