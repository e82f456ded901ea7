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
    """An action, and how long to bench the model (or its whole provider) meanwhile."""

    action: FallbackAction
    delay_s: float = 0.0
    bench_model_s: float = 0.0
    bench_provider_s: float = 0.0
    reason: str = ""
