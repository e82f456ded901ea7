"""A circuit breaker for one key (a model, or a whole provider): closed, open, half-open.

Free tiers fail in runs: a model that just timed out five times will most likely time
out again, and every call to it costs the caller the full timeout before the plan moves
on. So after a run of failures, or too high a failure ratio over enough calls, the
breaker opens and no call reaches the key for a while; then one probe may pass
(half-open): success closes the breaker, failure opens it again for longer.

One failure never opens it, and a provider's breaker opens only when more than one of
its models (`min_sources`) failed and none of the models called in its window succeeded
last: one dead model is that model's trouble, and must not take its healthy siblings
down with it, nor may a flaky sibling that fails now and then beside it (in the soak,
bench/soak.py, a dead and a flaky model opened their provider's breaker within the first
second, and 47 of 1,855 chat requests were served in 30 s). Only failures that say
something about the key's health count (the engine decides which: outages, timeouts,
broken bodies); rate limits have their own cooldowns and the caller's own mistakes are
not the model's fault.

The counts live in memory, per process; the state they move (`BreakerState`) is what is
stored and shared, written only when it changes.
"""

from __future__ import annotations

import collections

import attrs

from neoclone_core.state.engine_state import BreakerState, BreakerStatus


@attrs.frozen
class BreakerPolicy:
    """When a breaker opens and for how long.

    It opens after `consecutive_failures` failures in a row, or when more than
    `failure_ratio` of the last `window` calls failed, counted once there are at least
    `min_calls`. It stays open `open_s`, then `backoff_factor` times longer after each
    failed probe, at most `max_open_s`.
    """

    consecutive_failures: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    failure_ratio: float = attrs.field(default=0.5, validator=attrs.validators.ge(0.0))
    window: int = attrs.field(default=20, validator=attrs.validators.ge(1))
    min_calls: int = attrs.field(default=10, validator=attrs.validators.ge(1))
    open_s: float = attrs.field(default=30.0, validator=attrs.validators.ge(0.0))
    backoff_factor: float = attrs.field(default=2.0, validator=attrs.validators.ge(1.0))
    max_open_s: float = attrs.field(default=600.0, validator=attrs.validators.ge(0.0))

    def open_for(self, opened: int) -> float:
        """Seconds to stay open at the `opened`-th opening since the breaker last closed."""
        return min(self.max_open_s, self.open_s * self.backoff_factor ** max(0, opened - 1))


@attrs.define
class Breaker:
    """One key's breaker: its shared state and the local counts that move it."""

    state: BreakerState
    policy: BreakerPolicy
    consecutive: int = 0
    # The last `policy.window` calls: the model called ("" when not told), and whether
    # it succeeded.
    outcomes: collections.deque[tuple[str, bool]] = attrs.field(factory=collections.deque)
    probing: bool = False  # a half-open probe is in progress from this process
    min_sources: int = 1  # models whose last call failed before it opens (see the doc)

    def refusal(self, now: float) -> str:
        """Why no call may pass now, or "" when one may."""
        status = self.state.status_at(now)
        if status is BreakerStatus.OPEN:
            return f"breaker open for {self.state.until - now:.0f}s more ({self.state.reason})"
        if status is BreakerStatus.HALF_OPEN and self.probing:
            return "breaker half-open, its probe call is under way"
        return ""

    def take_probe(self, now: float) -> bool:
        """Claim the half-open probe; True when this call is it."""
        if self.state.status_at(now) is BreakerStatus.HALF_OPEN:
            self.probing = True
            return True
        return False

    def succeeded(self, now: float, probe: bool, source: str = "") -> BreakerState | None:
        """Count a success (of the model `source`, for a provider's breaker); the new
        state when a probe closed the breaker."""
        self._count(source, ok=True)
        if not probe:
            return None
        self.probing = False
        self.state = BreakerState(self.state.key, BreakerStatus.CLOSED, 0.0, 0, now, "")
        return self.state

    def failed(self, now: float, kind: str, probe: bool, source: str = "") -> BreakerState | None:
        """Count a failure of error `kind` (of the model `source`, for a provider's
        breaker); the new state when it opened (or reopened) the breaker."""
        if probe:
            self.probing = False
            return self._open(now, f"probe failed: {kind}", self.state.opened + 1)
        if self.state.status is BreakerStatus.OPEN:
            return None  # a call let through before it opened; it is open already
        self._count(source, ok=False)
        reason = self._trip_reason()
        return self._open(now, f"{reason}, last {kind}", 1) if reason else None

    def released(self) -> None:
        """A call ended saying nothing about health (cancelled, refused as the caller's
        mistake): give back the probe it may hold."""
        self.probing = False

    def adopt(self, stored: BreakerState) -> None:
        """Take a newer state from the store (another process opened or closed it)."""
        if stored.changed_at > self.state.changed_at:
            self.state = stored
            self.probing = False
            if stored.status is BreakerStatus.CLOSED:
                self._reset()

    def _count(self, source: str, *, ok: bool) -> None:
        self.consecutive = 0 if ok else self.consecutive + 1
        self.outcomes.append((source, ok))
        if len(self.outcomes) > self.policy.window:
            self.outcomes.popleft()

    def _trip_reason(self) -> str:
        """Why the counts open the breaker, or "" when they do not."""
        across = ""
        if self.min_sources > 1:
            last = dict(self.outcomes)  # each model's last call in the window
            failing = sum(not ok for ok in last.values())
            if failing < self.min_sources or failing < len(last):
                return ""
            across = f" across {failing} models"
        if self.consecutive >= self.policy.consecutive_failures:
            return f"{self.consecutive} failures in a row{across}"
        calls = len(self.outcomes)
        failures = sum(not ok for _, ok in self.outcomes)
        if calls >= self.policy.min_calls and failures / calls > self.policy.failure_ratio:
            return f"{failures} of the last {calls} calls failed{across}"
        return ""

    def _open(self, now: float, reason: str, opened: int) -> BreakerState:
        until = now + self.policy.open_for(opened)
        self.state = BreakerState(self.state.key, BreakerStatus.OPEN, until, opened, now, reason)
        self._reset()
        return self.state

    def _reset(self) -> None:
        self.consecutive = 0
        self.outcomes.clear()
