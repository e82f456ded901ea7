"""How a request was served: every attempt in order and the model that answered, in the
one shape every front end shows (`as_dict`). Re-exported by `models`, with the other
value objects."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import attrs


def _attempts(values: Iterable[Attempt]) -> tuple[Attempt, ...]:
    return tuple(values)


@attrs.frozen
class Attempt:
    """One try of one model: its outcome, and the error kind when it failed.

    A skipped attempt never reached the model (`error` says why: a cooldown, an open
    breaker, the deadline); `retry` is 0 for the model's first try in the request, 1 for
    its first retry; `ttft_s` is the time to the first chunk of a stream.
    """

    model_id: str
    ok: bool
    duration_s: float
    error_kind: str = ""
    error: str = ""
    skipped: bool = False
    retry: int = 0
    ttft_s: float | None = None

    @property
    def outcome(self) -> str:
        """The outcome in one word: ok, skipped or failed."""
        if self.ok:
            return "ok"
        return "skipped" if self.skipped else "failed"

    def as_dict(self) -> dict[str, Any]:
        """The attempt as JSON, the one shape every front end shows."""
        return {
            "model": self.model_id,
            "outcome": self.outcome,
            "error_kind": self.error_kind or None,
            "error": self.error or None,
            "duration_s": self.duration_s,
            "retry": self.retry,
            "ttft_s": self.ttft_s,
        }


@attrs.frozen
class Route:
    """How a request was served: every attempt in order and the model that answered."""

    attempts: tuple[Attempt, ...] = attrs.field(default=(), converter=_attempts)
    served_by: str | None = None
    total_s: float = 0.0

    @property
    def fallbacks(self) -> int:
        """How many times the request moved on to another model (retries of the same
        model are not fallbacks; skipping a model is)."""
        models = [a.model_id for a in self.attempts]
        return sum(1 for before, after in itertools.pairwise(models) if before != after)

    @property
    def retries(self) -> int:
        """How many attempts were retries of a model already tried."""
        return sum(1 for a in self.attempts if a.retry)

    @property
    def ttft_s(self) -> float | None:
        """Time to the first chunk of the stream that served, if it was a stream."""
        served = [a for a in self.attempts if a.ok]
        return served[-1].ttft_s if served else None

    @property
    def overhead_s(self) -> float:
        """The time spent outside the attempts themselves: neoclone's own work, and any
        backoff waits between retries."""
        return max(0.0, self.total_s - sum(a.duration_s for a in self.attempts))

    def as_dict(self) -> dict[str, Any]:
        """The route as JSON: who served, the counts, and every attempt."""
        return {
            "served_by": self.served_by,
            "total_s": self.total_s,
            "fallbacks": self.fallbacks,
            "retries": self.retries,
            "ttft_s": self.ttft_s,
            "overhead_s": self.overhead_s,
            "attempts": [attempt.as_dict() for attempt in self.attempts],
        }
