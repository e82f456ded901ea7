"""Sending the key the way Google wants it: in `x-goog-api-key`, and nowhere else.

`neoclone_core.openai_compat` puts a context's key in `Authorization: Bearer`. That
cannot simply be joined by `x-goog-api-key`: Google answers a request carrying both
with HTTP 400 "Multiple authentication credentials received. Please pass only one."
(reported in NousResearch/hermes-agent#7893, fixed there by sending the header alone),
and the native `/v1beta/models` refuses a Bearer API key outright (401). So the shared
client gets a copy of the context without the key plus that one header; and since the
shared client then cannot redact a key it no longer knows, every error leaving these
calls is redacted here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import attrs

from neoclone_core import ProviderContext, Secret, redact
from neoclone_core.errors import ProviderError

KEY_HEADER = "x-goog-api-key"


def keyless(ctx: ProviderContext) -> ProviderContext:
    """`ctx` without its key, so the shared client sends no `Authorization` header."""
    return attrs.evolve(ctx, api_key=None)


def key_headers(key: Secret) -> dict[str, str]:
    """The one header that carries the key."""
    return {KEY_HEADER: key.reveal()}


@contextlib.contextmanager
def scrubbed(key: Secret) -> Iterator[None]:
    """Re-raise any ProviderError with `key` redacted from its message."""
    try:
        yield
    except ProviderError as exc:
        exc.args = tuple(redact(a, [key]) if isinstance(a, str) else a for a in exc.args)
        raise
