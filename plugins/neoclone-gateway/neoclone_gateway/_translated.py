"""An endpoint of an API other than OpenAI's chat completions (Anthropic's Messages,
OpenAI's Responses), translated onto the same engine: the body becomes a `ChatBody`
(OpenAI chat messages, as every provider takes them), which runs on the plan its model
name resolves to, with the same fallback, route headers, metrics and cancellation as
`POST /v1/chat/completions`; the answer goes back in the API's own shape.

What an API contributes is a parser (`parse`: body bytes to a `Translation`), and the
translation answers for itself: a whole answer (`answer`) or a stream's events
(`events`). Errors leave as `GatewayError`s, which the app renders in the shape of the
API the path belongs to (`_error_shapes`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

import attrs
import structlog
from starlette.requests import Request
from starlette.responses import Response

from neoclone_core import ChatResponse, Neoclone, Plan, Route, Secret
from neoclone_core.errors import NoModelAvailableError, ProviderError
from neoclone_gateway._body import ChatBody
from neoclone_gateway._chat import _CLIENT_CLOSED, _unless_disconnected
from neoclone_gateway._errors import JSON_TYPE, from_provider_error
from neoclone_gateway._event_stream import EventEncoder, EventStreamResponse
from neoclone_gateway._metrics import Metrics
from neoclone_gateway._names import resolve
from neoclone_gateway._route import route_headers, stream_headers, upstream_s
from neoclone_gateway._sticky import Conversation, Conversations, conversation_of, moved_headers
from neoclone_gateway._unserved import unserved_error

log = structlog.get_logger("neoclone")


class Translation(Protocol):
    """One request of another API, read: what runs, and how to answer it."""

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
    """The model name as the client gave it (the chat endpoint's rule)."""
    return name


class TranslatedEndpoint:
    """The handler of one translated API (see the module doc); `rename` maps the client's
    model name onto neoclone's names before it is resolved."""

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
        headers = {**route_headers(route, overhead), **moved}
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
            headers=stream_headers(model, moved),
            secrets=self.secrets,
            on_end=on_end,
        )


def _renamed(body: ChatBody, name: str) -> ChatBody:
    return body if name == body.model else attrs.evolve(body, model=name)
