"""What a fallback strategy answers when an attempt fails."""

from __future__ import annotations

import enum
import warnings

import attrs


class FallbackAction(str, enum.Enum):
    """The three things the engine can do after a failed attempt."""

    RETRY = "retry"  # call the same model again after `delay_s`
    NEXT = "next"  # move on to the plan's next model now
    FAIL = "fail"  # stop and return the error to the caller

    def __str__(self) -> str:
        return self.value


@attrs.frozen(init=False)
class FallbackDecision:
    """An action, and how long the model (or its whole provider) cools down meanwhile.

    - `delay_s`: for RETRY, the wait before the retry; 0 lets the engine pick a
      full-jitter backoff. The engine never retries past the request's deadline nor
      more than its `RetryPolicy.max_retries`.
    - `cooldown_model_s` / `cooldown_provider_s`: no call reaches the model (or any
      model of its provider) for that long, in this process and every one sharing its
      store. (`bench_model_s` / `bench_provider_s`, their names before 0.2, are still
      accepted, with a DeprecationWarning.)
    - `min_context`: for NEXT, skip the plan's models whose context window is not
      known to be larger than this (the input did not fit `min_context` tokens).
    """

    action: FallbackAction
    delay_s: float = 0.0
    cooldown_model_s: float = 0.0
    cooldown_provider_s: float = 0.0
    reason: str = ""
    min_context: int | None = None

    def __init__(  # noqa: PLR0917 (positional, as the attrs init it stands for)
        self,
        action: FallbackAction,
        delay_s: float = 0.0,
        cooldown_model_s: float = 0.0,
        cooldown_provider_s: float = 0.0,
        reason: str = "",
        min_context: int | None = None,
        *,
        bench_model_s: float | None = None,
        bench_provider_s: float | None = None,
    ) -> None:
        if bench_model_s is not None:
            cooldown_model_s = renamed("bench_model_s", "cooldown_model_s", bench_model_s)
        if bench_provider_s is not None:
            cooldown_provider_s = renamed(
                "bench_provider_s", "cooldown_provider_s", bench_provider_s
            )
        self.__attrs_init__(
            action, delay_s, cooldown_model_s, cooldown_provider_s, reason, min_context
        )

    @property
    def bench_model_s(self) -> float:
        """Deprecated name of `cooldown_model_s`."""
        return renamed("bench_model_s", "cooldown_model_s", self.cooldown_model_s)

    @property
    def bench_provider_s(self) -> float:
        """Deprecated name of `cooldown_provider_s`."""
        return renamed("bench_provider_s", "cooldown_provider_s", self.cooldown_provider_s)


def renamed(old: str, new: str, value: float) -> float:
    """`value`, after warning that `old` is now called `new` (kept for one release)."""
    msg = f"{old} is deprecated: use {new}"
    warnings.warn(msg, DeprecationWarning, stacklevel=3)
    return value
