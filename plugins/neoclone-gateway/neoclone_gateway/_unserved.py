"""What a client hears when no model served its request: 503 with every attempt listed,
or, when every model of the plan is waiting out a rate limit or its spent free-tier
quota, the gateway's own 429 with `Retry-After` set to when the first of them may be
called again (and the pool's `x-ratelimit-*` headers).

The distinction matters to a client: after a 503 it should report a failure (or try
another gateway), after a 429 it should wait and retry, and it is told how long.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neoclone_core import Attempt, Neoclone, Plan, Secret, redact
from neoclone_core.errors import NoModelAvailableError
from neoclone_gateway._errors import RATE_LIMIT, SERVER_ERROR, GatewayError
from neoclone_gateway._quota import quota_headers


def unserved_error(
    neoclone: Neoclone, plan: Plan, error: NoModelAvailableError, secrets: Sequence[Secret | None]
) -> GatewayError:
    """The 429 or 503 for a request no model served (see the module doc)."""
    attempts = [attempt_json(a, secrets) for a in error.route.attempts]
    message = redact(str(error), secrets)
    wait = neoclone.rate_limit_wait(plan, error.route)
    if wait is not None:
        return GatewayError(
            429,
            f"every model of the plan is rate limited; retry in {wait}s ({message})",
            type=RATE_LIMIT,
            code="rate_limit_exceeded",
            headers={"Retry-After": str(wait), **quota_headers(neoclone, plan)},
            extra={"attempts": attempts},
        )
    return GatewayError(
        503, message, type=SERVER_ERROR, code="no_model_available", extra={"attempts": attempts}
    )


def attempt_json(attempt: Attempt, secrets: Sequence[Secret | None]) -> dict[str, Any]:
    """One attempt of a route as the error body lists it."""
    shown = attempt.as_dict()
    return {
        **shown,
        "error": redact(attempt.error, secrets),
        "duration_s": round(attempt.duration_s, 6),
    }
