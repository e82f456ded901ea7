"""What a fallback strategy answers when an attempt fails."""

from __future__ import annotations

import enum

import attrs


class FallbackAction(str, enum.Enum):
    """The three things the engine can do after a failed attempt."""

    RETRY = "retry"  # call the same model again after `delay_s`
    NEXT = "next"  # move on to the plan's next model now
    FAIL = "fail"  # stop and return the error to the caller

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class FallbackDecision:
    """An action, and how long to bench the model (or its whole provider) meanwhile.

    - `delay_s`: for RETRY, the wait before the retry; 0 lets the engine pick a
      full-jitter backoff. The engine never retries past the request's deadline nor
      more than its `RetryPolicy.max_retries`.
    - `bench_model_s` / `bench_provider_s`: no call reaches the model (or any model of
      its provider) for that long, in this process and every one sharing its store.
    - `min_context`: for NEXT, skip the plan's models whose context window is not
      known to be larger than this (the input did not fit `min_context` tokens).
    """

    action: FallbackAction
    delay_s: float = 0.0
    bench_model_s: float = 0.0
    bench_provider_s: float = 0.0
    reason: str = ""
    min_context: int | None = None
