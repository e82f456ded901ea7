"""Keeping API keys out of logs, errors, caches and reprs.

A key lives in a `Secret` from the moment it is read from the environment; only the
code that puts it into an HTTP header calls `reveal()`. `redact()` scrubs any text
that may have picked one up (an upstream error body echoing the request, say).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import attrs

_KEY_SHAPES = re.compile(
    r"""(?x)
    (?:sk|pk|rk|hf|gsk|ghp|gho|ghu|ghs|github_pat|csk|xai|r8|AIza)[-_A-Za-z0-9]{12,}  # vendors
    | (?i:bearer)\s+[-._~+/A-Za-z0-9]{8,}=*  # Authorization header values
    """
)
REDACTED = "[REDACTED]"


@attrs.frozen(repr=False)
class Secret:
    """A credential that prints as `Secret('***')` and compares without leaking."""

    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        """The raw value; call it only where the key is sent."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def redact(text: str, secrets: Iterable[Secret | None] = ()) -> str:
    """`text` with the given secrets and anything shaped like an API key replaced. A
    secret is found whatever its case and with whitespace inside it: an upstream that
    echoes a key upper-cased, or wraps it across lines, does not get it through."""
    for secret in secrets:
        if secret:
            text = _echo_pattern(secret.reveal()).sub(REDACTED, text)
    return _KEY_SHAPES.sub(REDACTED, text)


@functools.lru_cache(maxsize=64)
def _echo_pattern(value: str) -> re.Pattern[str]:
    """`value`, any case, with any whitespace between its characters."""
    return re.compile(r"\s*".join(map(re.escape, value)), re.IGNORECASE)


def scrub_exception(exc: BaseException, secrets: Iterable[Secret | None] = ()) -> BaseException:
    """`exc` with every string argument redacted in place (so its str() is safe), returned."""
    exc.args = tuple(redact(a, secrets) if isinstance(a, str) else a for a in exc.args)
    return exc


def public_url(url: str) -> str:
    """`url` without its user, password, query and fragment, for messages and logs (a
    store's URL may carry credentials in any of them)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
