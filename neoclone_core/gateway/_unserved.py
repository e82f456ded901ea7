"""What a client hears when no model served its request: 503 with every attempt listed,
or, when every model of the plan is waiting out a rate limit, the gateway's own 429
with `Retry-After` set to when the first of them may be called again.

The distinction matters to a client: after a 503 it should report a failure (or try
another gateway), after a 429 it should wait and retry, and it is told how long.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from neoclone_core._api import Neoclone
from neoclone_core._models import Attempt, ModelInfo, Plan, Route
from neoclone_core._secrets import Secret, redact
from neoclone_core._state import provider_key
from neoclone_core.errors import NoModelAvailableError, RateLimitedError
from neoclone_core.gateway._errors import RATE_LIMIT, SERVER_ERROR, GatewayError


def unserved_error(
    neoclone: Neoclone, plan: Plan, error: NoModelAvailableError, secrets: Sequence[Secret | None]
) -> GatewayError:
    """The 429 or 503 for a request no model served (see the module doc)."""
    attempts = [attempt_json(a, secrets) for a in error.route.attempts]
    message = redact(str(error), secrets)
    wait = rate_limit_wait(neoclone, plan.models, error.route)
    if wait is not None:
        return GatewayError(
            429,
            f"every model of the plan is rate limited; retry in {wait}s ({message})",
            type=RATE_LIMIT,
            code="rate_limit_exceeded",
            headers={"Retry-After": str(wait)},
            extra={"attempts": attempts},
        )
    return GatewayError(
        503, message, type=SERVER_ERROR, code="no_model_available", extra={"attempts": attempts}
    )


def attempt_json(attempt: Attempt, secrets: Sequence[Secret | None]) -> dict[str, Any]:
    """One attempt of a route as the error body lists it."""
    return {
        "model": attempt.model_id,
        "outcome": attempt.outcome,
        "error_kind": attempt.error_kind or None,
        "error": redact(attempt.error, secrets),
        "duration_s": round(attempt.duration_s, 6),
        "retry": attempt.retry,
    }


def rate_limit_wait(neoclone: Neoclone, models: Sequence[ModelInfo], route: Route) -> int | None:
    """Whole seconds until the first model of the plan may be called again, when every
    attempt failed on a rate limit or was skipped and every model waits out a rate
    limit's cooldown; None otherwise."""
    failed_otherwise = any(
        not a.ok and not a.skipped and a.error_kind != RateLimitedError.kind for a in route.attempts
    )
    if not models or failed_otherwise:
        return None
    gate, engine, now = neoclone.engine.gate, neoclone.engine, neoclone.clock()
    cooldowns = gate.cooldowns()
    waits = []
    for model in models:
        if model.provider not in neoclone.catalog.providers:
            return None
        credential = engine.endpoint(model.provider).credential
        untils = [
            cooldown.until
            for key in (provider_key(model.provider), model.id)
            if (cooldown := cooldowns.get(key)) is not None
            and cooldown.applies(now, credential)
            and _is_rate_limit(cooldown.reason)
        ]
        if not untils:
            return None
        waits.append(max(untils) - now)
    return max(1, math.ceil(min(waits)))


def _is_rate_limit(reason: str) -> bool:
    """Whether a cooldown's reason is a rate limit (the default strategy says "rate
    limited for 30s"; a strategy giving no reason leaves the error kind)."""
    reason = reason.lower()
    return "rate limit" in reason or RateLimitedError.kind in reason
