"""The default fallback strategy: move on at once from anything another model may
serve, bench what told us to wait, and return the caller's own mistakes to the caller."""

from __future__ import annotations

from neoclone_core._fallback import FallbackAction, FallbackDecision
from neoclone_core.errors import (
    AuthenticationError,
    BadRequestError,
    MissingAPIKeyError,
    ModelNotFoundError,
    ProviderError,
    RateLimitedError,
)
from neoclone_core.hookspecs import hookimpl

DEFAULT_RATE_LIMIT_BENCH_S = 60.0
MAX_RATE_LIMIT_BENCH_S = 3600.0
AUTH_BENCH_S = 3600.0
NOT_FOUND_BENCH_S = 86400.0


@hookimpl(trylast=True)
def neoclone_fallback_decision(error: ProviderError) -> FallbackDecision:
    """One decision per error class; see the module docstring."""
    if isinstance(error, BadRequestError):
        return FallbackDecision(FallbackAction.FAIL, reason="the request itself was refused")
    if isinstance(error, RateLimitedError):
        wait = error.retry_after if error.retry_after is not None else DEFAULT_RATE_LIMIT_BENCH_S
        return FallbackDecision(
            FallbackAction.NEXT,
            bench_model_s=min(max(wait, 0.0), MAX_RATE_LIMIT_BENCH_S),
            reason="rate limited",
        )
    if isinstance(error, (AuthenticationError, MissingAPIKeyError)):
        return FallbackDecision(
            FallbackAction.NEXT, bench_provider_s=AUTH_BENCH_S, reason="key missing or refused"
        )
    if isinstance(error, ModelNotFoundError):
        return FallbackDecision(
            FallbackAction.NEXT, bench_model_s=NOT_FOUND_BENCH_S, reason="model gone"
        )
    return FallbackDecision(FallbackAction.NEXT, reason=error.kind)
