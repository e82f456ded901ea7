"""What the engine has seen of each model, handed to scoring plugins.

Scoring must stay pure arithmetic over a catalog of thousands, so plugins receive this
read-only snapshot rather than a store to query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from neoclone_core._store import ModelStats


@attrs.frozen
class Observations:
    """Per-model statistics and cooldowns at time `now`; empty before any request."""

    stats: Mapping[str, ModelStats] = attrs.field(factory=dict)
    cooldown_until: Mapping[str, float] = attrs.field(factory=dict)
    now: float = 0.0

    def of(self, model_id: str) -> ModelStats | None:
        """The model's statistics, or None if it was never called."""
        return self.stats.get(model_id)

    def cooling_down(self, model_id: str) -> bool:
        """Whether the model is benched (rate limited or its breaker open) right now."""
        return self.cooldown_until.get(model_id, 0.0) > self.now
