"""Retrying one model: how many times, how long to wait, and the deadline no wait may pass.

Retries of the same model are the exception (the default strategy moves on to the next
model at once and retries only the last one left), so they are bounded twice: a count
per model, and the request's deadline, which no retry extends and no backoff sleeps
past. Backoff is "full jitter" (a uniform draw below the exponential bound), which
spreads the retries of many concurrent callers instead of sending them back in waves.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs


@attrs.frozen
class RetryPolicy:
    """At most `max_retries` retries of one model per request; the n-th waits a uniform
    draw in [0, min(cap_s, base_s * 2**(n-1))) unless the strategy names a delay."""

    max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    base_s: float = attrs.field(default=0.5, validator=attrs.validators.ge(0.0))
    cap_s: float = attrs.field(default=8.0, validator=attrs.validators.ge(0.0))

    def backoff_s(self, retry: int, rng: Callable[[], float]) -> float:
        """The wait before retry number `retry` (1 for the first); `rng()` is in [0, 1)."""
        return rng() * min(self.cap_s, self.base_s * 2.0 ** max(0, retry - 1))


@attrs.frozen
class Deadline:
    """The moment, on the `monotonic` clock, by which a request must be over."""

    at: float
    monotonic: Callable[[], float]

    @classmethod
    def after(cls, seconds: float, monotonic: Callable[[], float]) -> Deadline:
        """The deadline `seconds` from now."""
        return cls(monotonic() + seconds, monotonic)

    def left(self) -> float:
        """Seconds until the deadline (negative once it has passed)."""
        return self.at - self.monotonic()

    def allows(self, seconds: float) -> bool:
        """Whether waiting `seconds` still leaves time for a call."""
        return self.left() > seconds
