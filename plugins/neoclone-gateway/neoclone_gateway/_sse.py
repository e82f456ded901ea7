"""A stream sent to the client as OpenAI's server-sent events, chunk by chunk.

The `ChatStream` arrives here already open: the engine has found a model and holds its
first chunk, so every failure before the first token became a fallback or an HTTP
error status, never a broken stream. From here on:

- each upstream chunk (text, tool-call pieces) is sent as soon as it arrives (no
  buffering);
- a failure after the first token ends the stream with an error event, which the
  `openai` library raises as `APIError`, because two models' answers must not be
  spliced together;
- a client that disconnects cancels the upstream call at once, and the stream is
  always closed, whatever ended it.

Starlette's `StreamingResponse` is not used because it never closes its iterator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import anyio
import structlog

from neoclone_core import ChatChunk, ChatStream, Route, Secret, redact
from neoclone_core.errors import ProviderError
from neoclone_gateway._guard import Message, Receive, Scope, Send
from neoclone_gateway._route import describe
from neoclone_gateway._shapes import ChunkWriter

log = structlog.get_logger("neoclone")
_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"x-accel-buffering", b"no"),  # proxies such as nginx must not hold chunks back
]


def _body(data: bytes, *, more: bool = True) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


class SSEResponse:
    """The ASGI response for one open stream (see the module doc); `on_end` hears the
    route (None when the client left first)."""

    def __init__(
        self,
        stream: ChatStream,
        writer: ChunkWriter,
        *,
        headers: Sequence[tuple[bytes, bytes]],
        secrets: Sequence[Secret | None],
        on_end: Callable[[Route | None], None],
    ) -> None:
        self._stream = stream
        self._writer = writer
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
        writer = self._writer
        await send(_body(writer.chunk({"role": "assistant", "content": ""})))
        finished = False
        try:
            async for chunk in self._stream:
                if delta := _delta(chunk):
                    await send(_body(writer.chunk(delta)))
                if chunk.finish_reason and not finished:
                    await send(_body(writer.chunk({}, chunk.finish_reason)))
                    finished = True
        except ProviderError as exc:  # broke after the first token: say so, in the stream
            message = redact(str(exc), self._secrets)
            await send(_body(writer.error(message, exc.kind), more=False))
            return
        except Exception as exc:  # a bug here must not leave the client hanging
            log.exception("neoclone.gateway_stream_failed", error=type(exc).__name__)
            await send(_body(writer.error("internal error in the gateway", "internal"), more=False))
            return
        if not finished:
            await send(_body(writer.chunk({}, "stop")))
        route = self._stream.route
        if route is not None:
            await send(_body(writer.comment(f"neoclone route: {describe(route)}")))
        await send(_body(ChunkWriter.DONE, more=False))


def _delta(chunk: ChatChunk) -> dict[str, Any]:
    """The chunk's text and tool-call pieces as an OpenAI delta ({} for neither)."""
    delta: dict[str, Any] = {}
    if chunk.content:
        delta["content"] = chunk.content
    if chunk.tool_calls:
        delta["tool_calls"] = [dict(call) for call in chunk.tool_calls]
    return delta


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    """Wait for the client to hang up, then stop the stream."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
