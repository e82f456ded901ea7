"""The transport the gateway's upstream calls go through: httpx's own connection pool
(the default), or aiohttp's under httpx's API (`httpx-aiohttp`, the gateway's
`aiohttp` extra), which serves several times as many requests a second at high
concurrency on the same core (docs/benchmarks.md). The choice changes how bytes move,
nothing of what is sent: the client, its headers, timeouts and redirects stay
neoclone's.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from neoclone_core.errors import ConfigError

if TYPE_CHECKING:
    import httpx

TRANSPORTS = ("httpx", "aiohttp")
_AIOHTTP_MODULE = "httpx_aiohttp"
_KEEPALIVE_CONNECTIONS = 100  # as many as neoclone's own pool keeps


def check_transport(name: str) -> None:
    """ConfigError unless transport `name` is known and its package installed (checked
    before anything listens)."""
    if name not in TRANSPORTS:
        msg = f"unknown transport {name!r}: one of {', '.join(TRANSPORTS)}"
        raise ConfigError(msg)
    if name == "aiohttp" and importlib.util.find_spec(_AIOHTTP_MODULE) is None:
        msg = (
            "the aiohttp transport needs the httpx-aiohttp package: "
            "pip install 'neoclone-gateway[aiohttp]'"
        )
        raise ConfigError(msg)


def upstream_transport(name: str) -> httpx.AsyncBaseTransport | None:
    """The transport `name` stands for (None: httpx's default pool). Made in the
    process that uses it: a worker builds its own."""
    check_transport(name)
    if name == "httpx":
        return None
    import httpx
    from httpx_aiohttp import AiohttpTransport

    transport: httpx.AsyncBaseTransport = AiohttpTransport(
        limits=httpx.Limits(max_keepalive_connections=_KEEPALIVE_CONNECTIONS)
    )
    return transport
