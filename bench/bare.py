"""The floor of an HTTP gateway: a bare Starlette endpoint on uvicorn that forwards each
`POST /v1/chat/completions` to the upstream as it came and answers what the upstream
answered, with the client neoclone uses (its `http_client`, on the same transport).

RequestRun: python bench/bare.py --upstream URL --port N [--workers N] [--transport
httpx|aiohttp]. It serves on 127.0.0.1 until SIGTERM, `GET /health` once it listens.
No parsing beyond the `stream` flag, no routing, no checks: whatever a gateway adds on
top of this is what its own work costs.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

UPSTREAM_ENV, TRANSPORT_ENV, KEY_ENV = "BARE_UPSTREAM", "BARE_TRANSPORT", "BENCH_API_KEY"


def create_app(transport: Any = None) -> Starlette:
    """The app, its upstream and transport read from the environment (each uvicorn
    worker imports it anew), unless a `transport` is given (`bench_gateway_cpu.py`)."""
    from neoclone_gateway._transport import upstream_transport

    from neoclone_core.user_agent import http_client

    url = os.environ[UPSTREAM_ENV] + "/v1/chat/completions"
    headers = {
        "authorization": f"Bearer {os.environ[KEY_ENV]}",
        "content-type": "application/json",
    }
    state: dict[str, Any] = {}

    def client() -> Any:
        if "client" not in state:  # made in the worker's event loop
            chosen = transport or upstream_transport(os.environ[TRANSPORT_ENV])
            state["client"] = http_client(chosen)
        return state["client"]

    async def forward(request: Request) -> Response:
        body = await request.body()
        if json.loads(body).get("stream"):
            upstream = await client().send(
                client().build_request("POST", url, content=body, headers=headers), stream=True
            )

            async def pieces() -> AsyncIterator[bytes]:
                async for piece in upstream.aiter_raw():
                    yield piece

            return StreamingResponse(
                pieces(),
                upstream.status_code,
                media_type="text/event-stream",
                background=BackgroundTask(upstream.aclose),
            )
        answer = await client().post(url, content=body, headers=headers)
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def health(request: Request) -> Response:
        return Response("ok")

    return Starlette(
        routes=[
            Route("/v1/chat/completions", forward, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--transport", default="httpx")
    args = parser.parse_args()
    os.environ[UPSTREAM_ENV], os.environ[TRANSPORT_ENV] = args.upstream, args.transport
    uvicorn.run(
        "bare:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        http="httptools",
    )


if __name__ == "__main__":
    main()
