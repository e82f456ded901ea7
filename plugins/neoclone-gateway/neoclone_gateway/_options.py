"""How a gateway is configured, and the rule that guards where it may listen.

A gateway on loopback serves the machine it runs on; one on any other address serves
whoever can reach that address, which may be a whole network, and free-tier quotas
and API keys are what it spends. So listening beyond loopback requires a key that every
client must send, and a key short enough to guess is refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

import attrs

from neoclone_core import Secret
from neoclone_core.errors import ConfigError

KEY_ENV = "NEOCLONE_GATEWAY_KEY"
MIN_KEY_LENGTH = 16
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024  # room for an image or two as data URLs
DEFAULT_MAX_CONCURRENCY = 64  # chat requests in progress; more get the gateway's own 429
DEFAULT_REFRESH_S = 3600.0  # how often a running gateway rescans providers that are due
DEFAULT_BODY_TIMEOUT_S = 30.0  # a chat body must arrive whole within this
DEFAULT_MAX_HEAD_BYTES = 64 * 1024  # request line and headers (nginx allows 4 x 8 KiB)
DEFAULT_MAX_HEADERS = 100  # as gunicorn and Apache allow


@attrs.frozen
class GatewayOptions:
    """What a gateway enforces: the key clients must send (None: no key), the largest
    request body and how long it may take to arrive, how many chat requests may run at
    once, and the largest request head (its line and headers) and number of headers."""

    key: Secret | None = None
    max_body_bytes: int = attrs.field(
        default=DEFAULT_MAX_BODY_BYTES, validator=attrs.validators.ge(1)
    )
    max_concurrency: int = attrs.field(
        default=DEFAULT_MAX_CONCURRENCY, validator=attrs.validators.ge(1)
    )
    refresh_s: float = attrs.field(default=DEFAULT_REFRESH_S, validator=attrs.validators.gt(0))
    body_timeout_s: float = attrs.field(
        default=DEFAULT_BODY_TIMEOUT_S, validator=attrs.validators.gt(0)
    )
    max_head_bytes: int = attrs.field(
        default=DEFAULT_MAX_HEAD_BYTES, validator=attrs.validators.ge(1024)
    )
    max_headers: int = attrs.field(default=DEFAULT_MAX_HEADERS, validator=attrs.validators.ge(1))

    @classmethod
    def from_env(cls, env: Mapping[str, str], **fields: object) -> GatewayOptions:
        """Options whose key comes from `$NEOCLONE_GATEWAY_KEY` (unset or empty: none);
        ConfigError for a key shorter than 16 characters."""
        raw = env.get(KEY_ENV, "")
        if raw and len(raw) < MIN_KEY_LENGTH:
            msg = f"${KEY_ENV} is too short: use at least {MIN_KEY_LENGTH} random characters"
            raise ConfigError(msg)
        return cls(key=Secret(raw) if raw else None, **fields)  # type: ignore[arg-type]


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address ("localhost", 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def check_bind(host: str, key: Secret | None) -> None:
    """ConfigError unless the gateway may listen on `host`: loopback, or a key is set."""
    if key is None and not is_loopback(host):
        msg = (
            f"listening on {host} serves every machine that can reach it: set ${KEY_ENV} "
            f"to a random key of at least {MIN_KEY_LENGTH} characters, which clients then "
            "send as their API key (or listen on 127.0.0.1)"
        )
        raise ConfigError(msg)
