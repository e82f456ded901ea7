"""What the engine has seen of each model, handed to scoring plugins.

Scoring must stay pure arithmetic over a catalog of thousands, so plugins receive this
read-only snapshot rather than a store to query. It is how performance-based routing
works: a model that keeps failing shows a falling success rate and, once its breaker
opens, a cooldown, so it loses traffic; when its probe succeeds the cooldown ends and
its record improves with every success, so it wins traffic back.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from neoclone_core.state.engine_state import (
    PROVIDER_KEY_PREFIX,
    BreakerStatus,
    ModelStats,
    provider_key,
)


@attrs.frozen
class Observations:
    """Per-model statistics, cooldowns and breakers at time `now`; empty before any request.

    `cooldown_until` holds model ids and provider keys (`provider:<name>`) that may not
    be called before the given time, whether a provider asked for the wait (rate limit,
    refused key) or a breaker opened; `breakers` holds the status of every breaker that
    is not closed; `quota_left` the share left (0 to 1) of the tightest free-tier window
    of each model id or provider key that has spent any (see `execute/budget.py`).
    """

    stats: Mapping[str, ModelStats] = attrs.field(factory=dict)
    cooldown_until: Mapping[str, float] = attrs.field(factory=dict)
    now: float = 0.0
    breakers: Mapping[str, BreakerStatus] = attrs.field(factory=dict)
    quota_left: Mapping[str, float] = attrs.field(factory=dict)

    def quota_share(self, model_id: str) -> float | None:
        """The share left of the model's quota, the lower of its own and its provider's;
        None when neither has a known limit with anything spent."""
        if not self.quota_left:
            return None
        provider = model_id.partition("/")[0]
        found = [
            self.quota_left[key]
            for key in (model_id, provider_key(provider))
            if key in self.quota_left
        ]
        return min(found) if found else None

    def of(self, model_id: str) -> ModelStats | None:
        """The model's statistics, or None if it was never called."""
        return self.stats.get(model_id)

    def cooling_down(self, model_id: str) -> bool:
        """Whether the model, or its whole provider, may not be called right now."""
        provider = model_id.partition("/")[0]
        return any(
            self.cooldown_until.get(key, 0.0) > self.now
            for key in (model_id, provider_key(provider))
        )

    def breaker(self, key: str) -> BreakerStatus:
        """The breaker status of a model id or provider key (CLOSED when none is known)."""
        return self.breakers.get(key, BreakerStatus.CLOSED)

    def providers_cooling_down(self) -> list[str]:
        """The providers cooling down as a whole right now."""
        return sorted(
            key.removeprefix(PROVIDER_KEY_PREFIX)
            for key, until in self.cooldown_until.items()
            if key.startswith(PROVIDER_KEY_PREFIX) and until > self.now
        )
