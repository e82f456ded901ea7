"""neoclone's shared HTTP client, and its User-Agent: `neoclone/<version>`.

Some providers sit behind web firewalls that refuse generic library agents (opencode.ai
answered Python-urllib with a 403, NousResearch/hermes-agent#2651); an honest product
name and version is what well-behaved clients send, and it tells a provider's logs who
called.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import importlib_metadata

if TYPE_CHECKING:
    import httpx

__all__ = ["http_client", "user_agent"]

DISTRIBUTION = "neoclone"
KEEPALIVE_CONNECTIONS = 100  # a gateway runs dozens of calls at once; reuse their connections


@functools.cache
def user_agent() -> str:
    """`neoclone/<installed version>`, or plain `neoclone` when the distribution is not
    installed (a source tree on `sys.path`). Read once, when first asked for."""
    try:
        version = importlib_metadata.version(DISTRIBUTION)
    except importlib_metadata.PackageNotFoundError:
        return DISTRIBUTION
    return f"{DISTRIBUTION}/{version}"


def http_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client one `Neoclone` shares with all its providers: redirects followed, many
    keep-alive connections, neoclone's User-Agent. httpx is imported here, not at module
    level: it is the costliest import of all."""
    import httpx

    limits = httpx.Limits(max_keepalive_connections=KEEPALIVE_CONNECTIONS)
    headers = {"User-Agent": user_agent()}
    return httpx.AsyncClient(
        transport=transport, follow_redirects=True, limits=limits, headers=headers
    )
