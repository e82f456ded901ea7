"""How long a request that every model refused for rate limits should wait: what a
429's `Retry-After` says (the gateway's), asked of the engine's cooldowns and of the
budget's spent free-tier windows after the request failed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from neoclone_core.errors import RateLimitedError
from neoclone_core.models import ModelInfo, Route
from neoclone_core.state.engine_state import provider_key

if TYPE_CHECKING:
    from neoclone_core.execute.engine import Engine


def rate_limit_wait(engine: Engine, models: Sequence[ModelInfo], route: Route) -> int | None:
    """Whole seconds until the first of `models` may be called again, when every
    attempt of `route` failed on a rate limit or was skipped and every model waits
    out a rate limit's cooldown or a spent free-tier window; None otherwise."""
    failed_otherwise = any(
        not a.ok and not a.skipped and a.error_kind != RateLimitedError.kind for a in route.attempts
    )
    if not models or failed_otherwise:
        return None
    cooldowns, now = engine.admission.cooldowns(), engine.clock()
    waits = []
    for model in models:
        if model.provider not in engine.catalog.providers:
            return None
        credentials = {e.credential for e in engine.endpoints(model.provider)}
        untils = [
            cooldown.until
            for key in (provider_key(model.provider), model.id)
            if (cooldown := cooldowns.get(key)) is not None
            and any(cooldown.applies(now, credential) for credential in credentials)
            and _is_rate_limit(cooldown.reason)
        ]
        outs = [engine.budget.out_until(model, credential) for credential in credentials]
        if outs and None not in outs:  # every key out of quota: back with the first
            untils.append(min(o for o in outs if o is not None))
        if not untils:
            return None
        waits.append(max(untils) - now)
    return max(1, math.ceil(min(waits)))


def _is_rate_limit(reason: str) -> bool:
    """Whether a cooldown's reason is a rate limit (the default strategy says "rate
    limited for 30s"; a strategy giving no reason leaves the error kind)."""
    reason = reason.lower()
    return "rate limit" in reason or RateLimitedError.kind in reason
