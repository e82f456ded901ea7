"""`EnginePolicy`: every number the engine runs by, in one frozen object.

Defaults suit free tiers: moving on is cheap (another free model is one call away), so
retries of one model are few; breakers open after a handful of failures and reopen for
longer each time; a request may take two minutes end to end, whatever its retries.
"""

from __future__ import annotations

import attrs

from neoclone_core.execute.breaker import BreakerPolicy
from neoclone_core.execute.retry import RetryPolicy

_positive = attrs.validators.gt(0.0)


@attrs.frozen
class EnginePolicy:
    """How the engine retries, breaks circuits, bounds requests and shares state.

    - `deadline_s`: a request's whole budget, retries and fallbacks included; each
      attempt is also bounded by its provider's `timeout`. A stream's deadline bounds
      the wait for its first token; after that only the provider's idle timeout applies.
    - `max_cooldown_s`: the longest cooldown any strategy may set (a provider asking for
      a day-long wait is taken at its word only up to this).
    - `state_sync_s`: how often breakers, cooldowns and statistics are read back from
      the store, so other processes' findings arrive within it.
    - `flush_every` / `flush_s`: statistics are written in batches of this many
      records, or at least this often.
    """

    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    breaker: BreakerPolicy = attrs.field(factory=BreakerPolicy)
    deadline_s: float = attrs.field(default=120.0, validator=_positive)
    max_cooldown_s: float = attrs.field(default=86_400.0, validator=attrs.validators.ge(0.0))
    state_sync_s: float = attrs.field(default=1.0, validator=attrs.validators.ge(0.0))
    flush_every: int = attrs.field(default=64, validator=attrs.validators.ge(1))
    flush_s: float = attrs.field(default=5.0, validator=attrs.validators.ge(0.0))
