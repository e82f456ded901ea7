"""The gateway as an ASGI app: routes, error handlers, and the guard in front.

`create_app(neoclone)` serves an already open `Neoclone`, so the app can be mounted in
another ASGI application or tested in process; `neoclone serve` builds one and runs it
under uvicorn. No CORS middleware is installed: a browser page on another origin
cannot call the gateway (and so cannot spend its quotas) unless someone puts a CORS
layer in front on purpose.
"""

from __future__ import annotations

import json
import time
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from neoclone_core import Neoclone, Secret
from neoclone_gateway._anthropic import claude_to_auto, parse_messages
from neoclone_gateway._chat import parse_chat
from neoclone_gateway._endpoint import ModelEndpoint
from neoclone_gateway._errors import (
    JSON_TYPE,
    MESSAGES_PATH,
    GatewayError,
    error_body,
    internal_error,
)
from neoclone_gateway._guard import (
    CHAT_PATH,
    RESPONSES_PATH,
    BodyTooLargeError,
    Guard,
    route_path,
    too_large,
)
from neoclone_gateway._metrics import CONTENT_TYPE, Metrics, StoreCheck
from neoclone_gateway._names import OWNER, aliases
from neoclone_gateway._options import GatewayOptions
from neoclone_gateway._responses import parse_responses
from neoclone_gateway._shapes import catalog_entry, model_entry, model_list
from neoclone_gateway._sticky import Conversations

log = structlog.get_logger("neoclone")
METRICS_PLUGIN = "gateway-metrics"


def create_app(neoclone: Neoclone, options: GatewayOptions | None = None) -> Guard:
    """The gateway over `neoclone` (initialized and open; the caller closes it),
    enforcing `options` (default: no key, the default limits)."""
    options = options or GatewayOptions()
    metrics = Metrics(neoclone)
    # A name of its own per app: two gateways over one Neoclone each count their own.
    neoclone.plugins.register(metrics.events, f"{METRICS_PLUGIN}-{id(metrics):x}")
    secrets = secrets_to_redact(neoclone, options)
    conversations = Conversations(neoclone)
    endpoint = (neoclone, metrics, secrets, conversations)
    chat = ModelEndpoint(*endpoint, parse=parse_chat)
    messages = ModelEndpoint(*endpoint, parse=parse_messages, rename=claude_to_auto)
    responses = ModelEndpoint(*endpoint, parse=parse_responses)
    models = ModelsEndpoint(neoclone)
    store = StoreCheck(neoclone)

    async def health(request: Request) -> Response:
        """Whether the gateway serves, how many models it knows, and whether the state
        store answers (a shared store being down is "degraded": still serving)."""
        store_up = await store.up()
        body = {
            "status": "ok" if store_up else "degraded",
            "models": len(neoclone.models()),
            "state_store": "ok" if store_up else "unavailable, using local state",
        }
        return _json(body)

    async def prometheus(request: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    routes = [
        Route(CHAT_PATH, chat.handle, methods=["POST"]),
        Route(MESSAGES_PATH, messages.handle, methods=["POST"]),
        Route(RESPONSES_PATH, responses.handle, methods=["POST"]),
        Route("/v1/models", models.list, methods=["GET"]),
        Route("/v1/models/{model_id:path}", models.get, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            GatewayError: _gateway_error,
            HTTPException: _http_error,
            BodyTooLargeError: _body_too_large,
            Exception: _unexpected,
        },
    )
    app.state.max_body_bytes = options.max_body_bytes
    return Guard(app, options, metrics)


def secrets_to_redact(neoclone: Neoclone, options: GatewayOptions) -> list[Secret | None]:
    """Every API key neoclone sends upstream, and the gateway's own: what no response,
    log or metric may show."""
    return [*neoclone.secrets(), options.key]


class ModelsEndpoint:
    """`GET /v1/models` and `GET /v1/models/{id}`: the catalog, the routing aliases and
    the sessions, in OpenAI's list shape."""

    def __init__(self, neoclone: Neoclone) -> None:
        self.neoclone = neoclone
        self.started = int(time.time())

    def entries(self) -> list[dict[str, Any]]:
        """Aliases and sessions first, then the catalog by id."""
        named = [model_entry(name, OWNER, self.started) for name in aliases()]
        named += [
            model_entry(name, OWNER, self.started, models=list(session.model_ids))
            for name, session in sorted(self.neoclone.sessions.items())
        ]
        return named + [catalog_entry(m) for m in self.neoclone.models()]

    async def list(self, request: Request) -> Response:
        """The whole list."""
        return Response(model_list(self.entries()), media_type=JSON_TYPE)

    async def get(self, request: Request) -> Response:
        """One entry, or 404 in OpenAI's shape."""
        model_id = request.path_params["model_id"]
        for entry in self.entries():
            if entry["id"] == model_id:
                return _json(entry)
        msg = f"unknown model {model_id!r} (see GET /v1/models)"
        raise GatewayError(404, msg, param="model", code="model_not_found")


def _json(body: object) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), media_type=JSON_TYPE)


def _error(request: Request, error: GatewayError) -> Response:
    """The error in the shape of the API the request's path belongs to."""
    body = error_body(error, route_path(request.scope))
    return Response(body, error.status, error.headers, media_type=JSON_TYPE)


async def _gateway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayError)
    return _error(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, in OpenAI's shape, with their headers (Allow)."""
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
    headers = dict(exc.headers or {})  # a 405's Allow, which HTTP requires
    return _error(
        request, GatewayError(exc.status_code, str(exc.detail), code=code, headers=headers)
    )


async def _body_too_large(request: Request, exc: Exception) -> Response:
    """A chunked body that passed the limit while the endpoint read it."""
    return _error(request, too_large(request.app.state.max_body_bytes))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("neoclone.gateway_failed", path=request.url.path, error=type(exc).__name__)
    return _error(request, internal_error())
