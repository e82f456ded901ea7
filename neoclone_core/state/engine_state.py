"""What the engine remembers between requests, processes and instances, and the
`EngineState` protocol a store implements to keep it.

The engine decides in memory (the hot path touches no store) and keeps the store up to
date: breaker transitions and cooldowns are written through at once, because another
process must see them (a restart must not hammer a provider that just said 429);
attempts and requests are written in batches, because they are statistics. The store is
read back at most once per `EnginePolicy.state_sync_s`, so several processes or gateway
instances sharing one store converge within that interval.

The embedded SQLite `Store` implements `EngineState`; a shared store (Redis) implements
the same seven methods. Its calls are synchronous and short: a network-backed store
should bound them with timeouts, and may raise `StoreError`, on which the engine logs
and carries on with its local view (fail open) rather than failing requests.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs

PROVIDER_KEY_PREFIX = "provider:"


def provider_key(provider: str) -> str:
    """The key of a provider's breaker and cooldowns, beside its models' ids."""
    return PROVIDER_KEY_PREFIX + provider


class BreakerStatus(str, enum.Enum):
    """A circuit breaker's three states."""

    CLOSED = "closed"  # calls pass; failures are counted
    OPEN = "open"  # no call passes before `until`
    HALF_OPEN = "half_open"  # `until` has passed: one probe call may pass

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class BreakerState:
    """A breaker as stored and shared: `status` is CLOSED or OPEN (half-open is an open
    breaker whose `until` has passed); `opened` counts openings since it last closed,
    and each one waits longer. Times are POSIX seconds."""

    key: str
    status: BreakerStatus = BreakerStatus.CLOSED
    until: float = 0.0
    opened: int = 0
    changed_at: float = 0.0
    reason: str = ""

    def status_at(self, now: float) -> BreakerStatus:
        """CLOSED, OPEN, or HALF_OPEN once an open breaker's wait is over."""
        if self.status is BreakerStatus.OPEN and now >= self.until:
            return BreakerStatus.HALF_OPEN
        return self.status


@attrs.frozen
class Cooldown:
    """`key` (a model id or a provider key) must not be called before `until`.

    `credential` is a short fingerprint of the API key that was told to wait ("" for
    calls made without a key): a wait belongs to a key, so a user who sets a missing
    key, fixes a refused one or switches accounts is not held back by the old cooldown.
    """

    key: str
    until: float
    reason: str
    set_at: float
    credential: str = ""

    def applies(self, now: float, credential: str) -> bool:
        """Whether this cooldown still holds a call made at `now` with `credential`."""
        return self.until > now and self.credential == credential


@attrs.frozen
class AttemptRecord:
    """One call of one model, as kept for statistics (`session` is "" outside sessions)."""

    model_id: str
    at: float
    ok: bool
    duration_s: float
    error_kind: str = ""
    ttft_s: float | None = None
    session: str = ""


@attrs.frozen
class RequestRecord:
    """One request's outcome, as kept for session statistics."""

    session: str
    at: float
    ok: bool
    served_by: str
    fallbacks: int
    total_s: float
    ttft_s: float | None = None
    error_kind: str = ""


@attrs.frozen
class ModelStats:
    """A model's recent attempts (the kept window), summarised for routing."""

    model_id: str
    successes: int
    failures: int
    errors_by_kind: Mapping[str, int]  # failures by error kind; "unknown" when none was given
    latency_p50_s: float | None  # over successful attempts, nearest rank
    latency_p95_s: float | None
    last_attempt_at: float | None
    ttft_p50_s: float | None = None  # time to first token of successful streams
    ttft_p95_s: float | None = None

    @property
    def success_rate(self) -> float | None:
        """Successes over attempts; None when the model has no attempts."""
        total = self.successes + self.failures
        return self.successes / total if total else None


@attrs.frozen
class SessionStats:
    """What one session's recent requests came to (`""` is every request made outside
    a session)."""

    session: str
    requests: int = 0
    successes: int = 0
    fallbacks: int = 0
    errors_by_kind: Mapping[str, int] = attrs.field(factory=dict)
    latency_p50_s: float | None = None  # of served requests, end to end
    latency_p95_s: float | None = None
    ttft_p50_s: float | None = None
    served_by: Mapping[str, int] = attrs.field(factory=dict)

    @property
    def failures(self) -> int:
        """Requests that no model served."""
        return self.requests - self.successes

    @property
    def success_rate(self) -> float | None:
        """SucceededCall requests over requests; None before any."""
        return self.successes / self.requests if self.requests else None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary."""
        return {
            "requests": self.requests,
            "successes": self.successes,
            "failures": self.failures,
            "success_rate": self.success_rate,
            "fallbacks": self.fallbacks,
            "errors_by_kind": dict(self.errors_by_kind),
            "latency_p50_s": self.latency_p50_s,
            "latency_p95_s": self.latency_p95_s,
            "ttft_p50_s": self.ttft_p50_s,
            "served_by": dict(self.served_by),
        }


class EngineState(Protocol):
    """Where the engine keeps breakers, cooldowns and statistics (see the module doc).

    Every method may raise `StoreError`; none is called on a request's hot path.
    """

    def breakers(self) -> Mapping[str, BreakerState]:
        """Every stored breaker, by key."""
        ...

    def save_breaker(self, state: BreakerState) -> None:
        """Store a breaker's new state (after it opened or closed)."""
        ...

    def cooldowns(self, now: float) -> Mapping[str, Cooldown]:
        """The cooldowns still running at `now`, by key."""
        ...

    def set_cooldown(self, cooldown: Cooldown) -> None:
        """Store a cooldown, replacing the key's earlier one."""
        ...

    def record_outcomes(
        self, attempts: Sequence[AttemptRecord], requests: Sequence[RequestRecord]
    ) -> None:
        """Keep a batch of attempts and requests (older ones may be pruned)."""
        ...

    def model_stats(self) -> Mapping[str, ModelStats]:
        """Statistics over each model's kept attempts, by model id."""
        ...

    def session_stats(self) -> Mapping[str, SessionStats]:
        """Statistics over each session's kept requests, by session name."""
        ...
