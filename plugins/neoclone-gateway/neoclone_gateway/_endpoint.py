"""The endpoints that call a model: OpenAI's chat completions, Anthropic's Messages and
OpenAI's Responses, one handler for all three. The body becomes a `ChatBody` (OpenAI
chat messages, as every provider takes them), which runs on the plan its model name
resolves to (the conversation's model first, `_sticky`), with fallback; the answer goes
back in the API's own shape, with the route in headers.

What an API contributes is a parser (`parse`: body bytes to a `Translation`), and the
translation answers for itself: a whole answer (`answer`) or a stream's events
(`events`). Every failure leaves as a `GatewayError` (the app renders it in the shape
of the API the path belongs to, `_errors.error_body`): a bad body 400, an unknown model
404, no model served 503 (or the gateway's 429 when all are rate limited), a request
the strategy returned to the caller 400. The upstream error text in any of them is
redacted with the keys neoclone holds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol, TypeVar

import anyio
import attrs
import structlog
from starlette.requests import Request
from starlette.responses import Response

from neoclone_core import ChatResponse, Neoclone, Plan, Route, Secret
from neoclone_core.errors import NoModelAvailableError, ProviderError
from neoclone_gateway._body import ChatBody
from neoclone_gateway._errors import JSON_TYPE, from_provider_error
from neoclone_gateway._event_stream import EventEncoder, EventStreamResponse
from neoclone_gateway._metrics import Metrics
from neoclone_gateway._names import resolve
from neoclone_gateway._quota import quota_headers
from neoclone_gateway._route import route_headers, stream_headers, upstream_s
from neoclone_gateway._sticky import Conversation, Conversations, conversation_of, moved_headers
from neoclone_gateway._unserved import unserved_error

log = structlog.get_logger("neoclone")
T = TypeVar("T")


class Translation(Protocol):
    """One request of an API, read: what runs, and how to answer it."""

    @property
    def body(self) -> ChatBody:
        """The request as the engine runs it."""

    def answer(self, response: ChatResponse) -> bytes:
        """The whole answer, as the API's JSON."""

    def events(self, model: str) -> EventEncoder:
        """The encoder of a streamed answer from catalog model `model`."""


Parse = Callable[[bytes], Translation]
Rename = Callable[[Neoclone, str], str]


def same_name(neoclone: Neoclone, name: str) -> str:
    """The model name as the client gave it."""
    return name


class ModelEndpoint:
    """The handler of one API (see the module doc); `rename` maps the client's model
    name onto neoclone's names before it is resolved."""

    def __init__(
        self,
        neoclone: Neoclone,
        metrics: Metrics,
        secrets: Sequence[Secret | None],
        conversations: Conversations,
        *,
        parse: Parse,
        rename: Rename = same_name,
    ) -> None:
        self.neoclone = neoclone
        self.metrics = metrics
        self.secrets = secrets
        self.conversations = conversations
        self.parse = parse
        self.rename = rename

    async def handle(self, request: Request) -> Response | EventStreamResponse:
        """Answer one request."""
        started = time.perf_counter()
        translation = self.parse(await request.body())  # the guard read and bounded it
        body = translation.body
        plan = Plan(models=())
        try:
            body = _renamed(body, self.rename(self.neoclone, body.model))
            plan, session = resolve(self.neoclone, body)
            conversation = conversation_of(request.headers, body)
            plan = self.conversations.steer(conversation, plan)
            if body.stream:
                return await self._stream(translation, plan, session, started, conversation)
            answer = await _unless_disconnected(
                request, self.neoclone.run(plan, body.request, session=session)
            )
            if answer is None:
                return Response(status_code=_CLIENT_CLOSED)  # read by nobody
            response, route = answer
        except NoModelAvailableError as exc:
            raise unserved_error(self.neoclone, plan, exc, self.secrets) from None
        except ProviderError as exc:
            raise from_provider_error(exc, self.secrets) from None
        content = translation.answer(response)
        overhead = time.perf_counter() - started - upstream_s(route)
        self.metrics.overhead_seconds.labels("false").observe(overhead)
        log.info("neoclone.gateway_served", model=body.model, route=route.served_by)
        moved = moved_headers(self.conversations.served(conversation, route.served_by))
        quota = quota_headers(self.neoclone, plan)
        headers = {**route_headers(route, overhead), **moved, **quota}
        return Response(content, media_type=JSON_TYPE, headers=headers)

    async def _stream(
        self,
        translation: Translation,
        plan: Plan,
        session: str,
        started: float,
        conversation: Conversation,
    ) -> EventStreamResponse:
        stream = self.neoclone.run_stream(plan, translation.body.request, session=session)
        await stream.__aenter__()  # raises before a byte is sent when no model answers
        model = stream.model.id
        moved = moved_headers(self.conversations.served(conversation, model))
        quota = quota_headers(self.neoclone, plan)  # this stream's request counted

        def on_end(route: Route | None) -> None:
            if route is None:
                return
            overhead = time.perf_counter() - started - upstream_s(route)
            self.metrics.overhead_seconds.labels("true").observe(overhead)
            if route.ttft_s is not None:
                self.metrics.ttft_seconds.observe(route.ttft_s)

        return EventStreamResponse(
            stream,
            translation.events(model),
            headers=stream_headers(model, {**moved, **quota}),
            secrets=self.secrets,
            on_end=on_end,
        )


def _renamed(body: ChatBody, name: str) -> ChatBody:
    return body if name == body.model else attrs.evolve(body, model=name)


_CLIENT_CLOSED = 499  # nginx's "client closed request": logged, never received


async def _unless_disconnected(request: Request, work: Coroutine[Any, Any, T]) -> T | None:
    """`work`'s result, or None when the client went away first: the upstream call is
    cancelled then (its connection closed), and the engine records a cancelled attempt,
    neither a failure of the model nor a reason to call the next one for nobody.

    The work runs in this task; a second task watches for the client leaving. On
    asyncio (what `neoclone serve` runs) that task is a bare asyncio task: an anyio task
    group costs ten times as much (about 110 µs against 12 µs here), more than the
    rest of the gateway's own work on a request but the engine's."""
    with anyio.CancelScope() as scope:
        if _on_asyncio():
            watcher = asyncio.get_running_loop().create_task(_watch(request, scope))
            try:
                return await work
            finally:
                watcher.cancel()
        failed: list[Exception] = []  # raised here, not as the group's ExceptionGroup
        async with anyio.create_task_group() as group:
            group.start_soon(_watch, request, scope)
            try:
                return await work
            except Exception as exc:  # cancellation is no Exception: it propagates
                failed.append(exc)
            finally:
                group.cancel_scope.cancel()
        raise failed[0]
    return None  # the client left: `_watch` cancelled the scope


async def _watch(request: Request, scope: anyio.CancelScope) -> None:
    """Cancel `scope` once the client disconnects."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
    log.info("neoclone.gateway_client_left", path=request.url.path)
    scope.cancel()


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio
        return False
    return True
