"""Redis for neoclone: breakers, cooldowns, statistics and scans shared by every instance.

Several gateway instances behind one load balancer must agree on what they learnt: a
429 that one of them saw must keep the others away from that model, and a breaker one
of them opened must hold for all; a provider one of them scanned need not be scanned
by the others. With this plugin installed and

    store = "redis://127.0.0.1:6379/0"

at the top of neoclone.toml, the engine keeps that state in Redis instead of the
embedded SQLite file. Redis that does not answer at start stops neoclone with a clear
message; an outage later is survived on local state (see `RedisState`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from neoclone_core import hookimpl, public_url
from neoclone_store_redis._store import PASSWORD_ENV, RedisState

__all__ = ["PASSWORD_ENV", "SCHEMES", "RedisState", "neoclone_open_state", "public_url"]

SCHEMES = ("redis", "rediss", "unix")
"""The URL schemes redis-py understands: plain TCP, TLS, and a Unix socket."""


@hookimpl
def neoclone_open_state(url: str) -> RedisState | None:
    """A `RedisState` for a `redis://`, `rediss://` or `unix://` URL; None for others."""
    if urlsplit(url).scheme not in SCHEMES:
        return None
    return RedisState.connect(url)
