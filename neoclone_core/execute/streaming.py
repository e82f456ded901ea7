"""Streaming with failover: transparent until the first token, explicit after it.

Until a model has produced its first chunk, nobody has seen anything, so a failure
(an error status, a refused connection, no first byte in time, a stream cut before any
text) moves on to the next model exactly as a failed `chat()` call would. Once a chunk
has reached the caller, switching models would splice two answers together, so a
failure ends the stream with `StreamInterruptedError` and the route says so.

`async with` opens the stream, which is also when the serving model is known (a
gateway can name it before sending a byte); iterating yields the chunks; leaving the
block closes the upstream call, whatever state it is in, so a caller that stops reading
or is cancelled releases the connection at once.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING

import anyio

from neoclone_core.errors import StreamInterruptedError
from neoclone_core.execute.calls import Call, OpenedStream, RequestRun, SucceededCall
from neoclone_core.models import ChatChunk, ChatRequest, ModelInfo, Route
from neoclone_core.provider import Provider, ProviderContext

if TYPE_CHECKING:
    from neoclone_core.execute.calls import ActiveCall
    from neoclone_core.execute.engine import Engine

_CLOSE_TIMEOUT_S = 2.0  # closing an upstream stream must not hang the caller


async def aclose_quietly(chunks: AsyncIterator[ChatChunk]) -> None:
    """Close a provider's stream (its HTTP response with it), shielded from the
    cancellation that may be the reason for closing, and bounded in time."""
    aclose = getattr(chunks, "aclose", None)
    if aclose is None:
        return
    with anyio.move_on_after(_CLOSE_TIMEOUT_S, shield=True), contextlib.suppress(Exception):
        await aclose()


def stream_opener(request: ChatRequest) -> Call[OpenedStream]:
    """The engine's call for streams: open `provider.stream()` and wait for its first
    chunk, so that everything before the first token is covered by failover."""

    async def open_first(
        provider: Provider, ctx: ProviderContext, model: ModelInfo
    ) -> OpenedStream:
        chunks = provider.stream(ctx, model, request)
        try:
            first = await chunks.__anext__()
        except StopAsyncIteration:
            return OpenedStream(chunks, None)
        except BaseException:
            await aclose_quietly(chunks)
            raise
        return OpenedStream(chunks, first)

    return open_first


class ChatStream:
    """A streamed answer along a plan::

        async with neoclone.stream("Tell me a story", models=[...]) as stream:
            print("served by", stream.model.id)
            async for chunk in stream:
                print(chunk.content, end="")
        print(stream.route)

    Entering raises what `Neoclone.chat` raises when no model produces a first chunk.
    Iterating raises `StreamInterruptedError` if the stream breaks after its first
    chunk; `route` is set once the stream has ended, however it ended.
    """

    def __init__(self, engine: Engine, run: RequestRun) -> None:
        self._engine = engine
        self._run = run
        self._served: SucceededCall[OpenedStream] | None = None
        self._pending: ChatChunk | None = None
        self._ttft_s: float | None = None
        self._parts: list[str] = []

    @property
    def model(self) -> ModelInfo:
        """The model serving the stream (known once the stream is open)."""
        return self._open().call.model

    @property
    def route(self) -> Route | None:
        """Every attempt and who served, once the stream has ended; None before."""
        return self._run.route

    @property
    def content(self) -> str:
        """The text received so far."""
        return "".join(self._parts)

    async def __aenter__(self) -> ChatStream:
        served = await self._engine.serve(self._run, stream_opener(self._run.request))
        self._served = served
        if served.value.first is not None:
            self._ttft_s = time.perf_counter() - served.call.started
            self._pending = served.value.first
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._served is None:
            return
        await aclose_quietly(self._served.value.chunks)
        if self._run.route is None:  # the caller stopped reading, or was cancelled
            self._engine.outcomes.cancelled(self._run, self._served.call)

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> ChatChunk:
        served = self._open()
        if self._run.route is not None:
            raise StopAsyncIteration
        chunk, self._pending = self._pending, None
        if chunk is None:
            chunk = await self._next(served)
        self._parts.append(chunk.content)
        return chunk

    async def _next(self, served: SucceededCall[OpenedStream]) -> ChatChunk:
        call = served.call
        idle_s = call.endpoint.ctx.timeout
        try:
            with anyio.fail_after(idle_s):
                return await served.value.chunks.__anext__()
        except StopAsyncIteration:
            self._engine.outcomes.succeeded(self._run, call, self._ttft_s)
            raise
        except anyio.get_cancelled_exc_class():
            raise  # __aexit__ records it
        except Exception as exc:
            error = _interrupted(exc, call, idle_s)
            self._engine.outcomes.failed(self._run, call, error)
            self._engine.outcomes.finish(self._run, None, error.kind)
            raise error from exc

    def _open(self) -> SucceededCall[OpenedStream]:
        if self._served is None:
            msg = "open the stream first: `async with neoclone.stream(...) as stream:`"
            raise RuntimeError(msg)
        return self._served


def _interrupted(exc: Exception, call: ActiveCall, idle_s: float) -> StreamInterruptedError:
    """Any failure after the first chunk, as the explicit error it must be."""
    if isinstance(exc, StreamInterruptedError):
        return exc
    model = call.model
    if isinstance(exc, TimeoutError):
        why = f"no chunk for {idle_s:g}s"
    else:
        why = f"{type(exc).__name__}: {exc}"
    msg = f"{model.id}: stream interrupted after its first chunk: {why}"
    return StreamInterruptedError(msg, provider=model.provider, model=model.name)
