"""The default fallback strategy: move on at once from anything another model may
serve, cool down what told us to wait, return the caller's own mistakes to the caller, and
retry a model only when it is the last one left.

- bad request → FAIL: another model would refuse it too;
- context too long → NEXT, but only to models with a larger context window;
- rate limited → NEXT, the model cooling down for the wait the provider gave (60 s when it
  gave none, an hour at most: a provider saying "come back in a year" is not trusted);
- refused or missing key → NEXT, the whole provider cooling down for an hour (for that key:
  fixing the key lifts it);
- model not found → NEXT, the model cooling down for a day;
- no connection to the provider's host (refused, name not resolved) → NEXT, the whole
  provider cooling down for 30 s (its other models are out of reach too), unless the host
  is this machine's or no other provider is left in the plan;
- outage, 5xx, timeout, broken connection or body → NEXT at once; RETRY (with backoff,
  within the deadline) only when no other model of the plan can be called.
"""

from __future__ import annotations

from collections.abc import Sequence

from neoclone_core.errors import (
    AuthenticationError,
    BadRequestError,
    ContextTooLongError,
    MissingAPIKeyError,
    ModelNotFoundError,
    ProviderError,
    ProviderUnreachableError,
    RateLimitedError,
    TransientError,
)
from neoclone_core.execute.fallback import FallbackAction, FallbackDecision
from neoclone_core.hookspecs import hookimpl
from neoclone_core.models import ModelInfo

DEFAULT_RATE_LIMIT_BENCH_S = 60.0
MAX_RATE_LIMIT_BENCH_S = 3600.0
AUTH_COOLDOWN_S = 3600.0
NOT_FOUND_COOLDOWN_S = 86400.0
UNREACHABLE_COOLDOWN_S = 30.0
RETRIES_OF_THE_LAST_MODEL = 2


def rate_limit_cooldown_s(error: RateLimitedError) -> float:
    """The provider's wait, or the default when it gave none, capped."""
    wait = error.retry_after if error.retry_after is not None else DEFAULT_RATE_LIMIT_BENCH_S
    return min(max(wait, 0.0), MAX_RATE_LIMIT_BENCH_S)


@hookimpl(trylast=True)
def neoclone_fallback_decision(
    error: ProviderError,
    model: ModelInfo,
    attempt_number: int,
    remaining: Sequence[ModelInfo],
) -> FallbackDecision:
    """One decision per error class; see the module docstring."""
    if isinstance(error, ContextTooLongError):
        return FallbackDecision(
            FallbackAction.NEXT,
            reason="input longer than the context window",
            min_context=model.context_length,
        )
    if isinstance(error, BadRequestError):
        return FallbackDecision(FallbackAction.FAIL, reason="the request itself was refused")
    if isinstance(error, RateLimitedError):
        wait = rate_limit_cooldown_s(error)
        return FallbackDecision(
            FallbackAction.NEXT, cooldown_model_s=wait, reason=f"rate limited for {wait:g}s"
        )
    return _permanent(error) or _transient(error, attempt_number, remaining)


def _permanent(error: ProviderError) -> FallbackDecision | None:
    if isinstance(error, (AuthenticationError, MissingAPIKeyError)):
        return FallbackDecision(
            FallbackAction.NEXT,
            cooldown_provider_s=AUTH_COOLDOWN_S,
            reason="key missing or refused",
        )
    if isinstance(error, ModelNotFoundError):
        return FallbackDecision(
            FallbackAction.NEXT, cooldown_model_s=NOT_FOUND_COOLDOWN_S, reason="model gone"
        )
    return None


def _transient(
    error: ProviderError, attempt_number: int, remaining: Sequence[ModelInfo]
) -> FallbackDecision:
    last_hope = not remaining and isinstance(error, TransientError)
    if last_hope and attempt_number <= RETRIES_OF_THE_LAST_MODEL:
        return FallbackDecision(FallbackAction.RETRY, reason=f"{error.kind}, no other model left")
    if isinstance(error, ProviderUnreachableError) and _cools_down_unreachable(error, remaining):
        return FallbackDecision(
            FallbackAction.NEXT,
            cooldown_provider_s=UNREACHABLE_COOLDOWN_S,
            reason="cannot connect to the provider",
        )
    return FallbackDecision(FallbackAction.NEXT, reason=error.kind)


def _cools_down_unreachable(
    error: ProviderUnreachableError, remaining: Sequence[ModelInfo]
) -> bool:
    """Bench a provider whose host refused us only if another provider is left to try
    (cooled down, its last models would lose their retries), and not for a host on this
    machine: instances sharing state each reach their own."""
    others = any(m.provider != error.provider for m in remaining)
    return others and not error.on_this_machine
