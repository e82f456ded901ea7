"""`POST /v1/chat/completions`: parse the body, resolve the model name to a plan, run it
(or open its stream) on the engine, and answer in OpenAI's shape.

Every failure leaves as a `GatewayError` (the app turns it into OpenAI's error body):
a bad body 400, an unknown model 404, no model served 503 (or the gateway's 429 when
all are rate limited), a request the strategy returned to the caller 400. The upstream
error text in any of them is redacted with the keys neoclone holds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import anyio
import structlog
from starlette.requests import Request
from starlette.responses import Response

from neoclone_core import Neoclone, Plan, Route, Secret
from neoclone_core.errors import NoModelAvailableError, ProviderError
from neoclone_gateway._body import ChatBody, parse_chat_body
from neoclone_gateway._errors import JSON_TYPE, from_provider_error
from neoclone_gateway._metrics import Metrics
from neoclone_gateway._names import resolve
from neoclone_gateway._route import route_headers, stream_headers, upstream_s
from neoclone_gateway._shapes import ChunkWriter, completion
from neoclone_gateway._sse import SSEResponse
from neoclone_gateway._sticky import Conversation, Conversations, conversation_of, moved_headers
from neoclone_gateway._unserved import unserved_error

log = structlog.get_logger("neoclone")
T = TypeVar("T")


def completion_id() -> str:
    """A new completion id, in OpenAI's style."""
    return f"chatcmpl-{uuid.uuid4().hex}"


class ChatEndpoint:
    """The chat-completions handler of one gateway."""

    def __init__(
        self,
        neoclone: Neoclone,
        metrics: Metrics,
        secrets: Sequence[Secret | None],
        conversations: Conversations,
    ) -> None:
        self.neoclone = neoclone
        self.metrics = metrics
        self.secrets = secrets
        self.conversations = conversations

    async def handle(self, request: Request) -> Response | SSEResponse:
        """Answer one request (see the module doc)."""
        started = time.perf_counter()
        body = parse_chat_body(await request.body())  # the guard read and bounded it
        plan = Plan(models=())
        try:
            plan, session = resolve(self.neoclone, body)
            conversation = conversation_of(request.headers, body)
            plan = self.conversations.steer(conversation, plan)
            if body.stream:
                return await self._stream(body, plan, session, started, conversation)
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
        content = completion(response, completion_id(), int(time.time()))
        overhead = time.perf_counter() - started - upstream_s(route)
        self.metrics.overhead_seconds.labels("false").observe(overhead)
        log.info("neoclone.gateway_served", model=body.model, route=route.served_by)
        moved = moved_headers(self.conversations.served(conversation, route.served_by))
        headers = {**route_headers(route, overhead), **moved}
        return Response(content, media_type=JSON_TYPE, headers=headers)

    async def _stream(
        self, body: ChatBody, plan: Plan, session: str, started: float, conversation: Conversation
    ) -> SSEResponse:
        stream = self.neoclone.run_stream(plan, body.request, session=session)
        await stream.__aenter__()  # raises before a byte is sent when no model answers
        model = stream.model.id
        moved = moved_headers(self.conversations.served(conversation, model))
        writer = ChunkWriter(completion_id(), int(time.time()), model)

        def on_end(route: Route | None) -> None:
            if route is None:
                return
            overhead = time.perf_counter() - started - upstream_s(route)
            self.metrics.overhead_seconds.labels("true").observe(overhead)
            if route.ttft_s is not None:
                self.metrics.ttft_seconds.observe(route.ttft_s)

        headers = stream_headers(model, moved)
        return SSEResponse(stream, writer, headers=headers, secrets=self.secrets, on_end=on_end)


_CLIENT_CLOSED = 499  # nginx's "client closed request": logged, never received


async def _unless_disconnected(request: Request, work: Coroutine[Any, Any, T]) -> T | None:
    """`work`'s result, or None when the client went away first: the upstream call is
    cancelled then (its connection closed), and the engine records a cancelled attempt,
    neither a failure of the model nor a reason to call the next one for nobody."""
    result: list[T] = []
    failed: list[Exception] = []  # raised here, not as a task group's ExceptionGroup
    async with anyio.create_task_group() as group:

        async def run() -> None:
            try:
                result.append(await work)
            except Exception as exc:  # cancellation is no Exception: it propagates
                failed.append(exc)
            group.cancel_scope.cancel()

        async def watch() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            log.info("neoclone.gateway_client_left", path=request.url.path)
            group.cancel_scope.cancel()

        group.start_soon(run)
        group.start_soon(watch)
    if failed:
        raise failed[0]
    return result[0] if result else None
