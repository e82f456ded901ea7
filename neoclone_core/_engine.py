"""Executing a plan: each model in turn until one answers, the fallback strategy deciding
after every failure, and every attempt recorded for statistics and routing.

This is the plain engine of the core: one call per model, benches kept in memory.
Retries with backoff, circuit breakers and streaming failover build on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
import attrs
import structlog

from neoclone_core._catalog import Catalog
from neoclone_core._fallback import FallbackAction, FallbackDecision
from neoclone_core._models import Attempt, ChatRequest, ChatResponse, ModelInfo, Plan, Route
from neoclone_core._observations import Observations
from neoclone_core._plugins import Plugins
from neoclone_core._secrets import scrub_exception
from neoclone_core._store import Store
from neoclone_core.errors import (
    NoModelAvailableError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)

log = structlog.get_logger("neoclone")
_NEXT = FallbackDecision(FallbackAction.NEXT, reason="no fallback strategy decided")


def as_provider_error(exc: BaseException, model: ModelInfo, timeout: float) -> ProviderError:
    """Any exception from a provider call as a ProviderError (plugin bugs count as the
    provider being unavailable, so the plan moves on)."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TimeoutError):
        msg = f"{model.id}: no answer within {timeout:g}s"
        return ProviderTimeoutError(msg, provider=model.provider, model=model.name)
    msg = f"{model.id}: provider plugin failed: {type(exc).__name__}: {exc}"
    return ProviderUnavailableError(msg, provider=model.provider, model=model.name)


@attrs.define
class Engine:
    """Runs plans against the catalog's providers."""

    catalog: Catalog
    plugins: Plugins
    store: Store
    clock: Callable[[], float]
    benched_until: dict[str, float] = attrs.field(factory=dict)

    def observations(self) -> Observations:
        """What scoring plugins see: statistics from the store and current benches."""
        return Observations(self.store.model_stats(), dict(self.benched_until), self.clock())

    def bench_reason(self, model: ModelInfo) -> str:
        """Why `model` must not be called now, or "" if it may be."""
        now = self.clock()
        for key in (model.id, f"provider:{model.provider}"):
            until = self.benched_until.get(key, 0.0)
            if until > now:
                return f"benched for {until - now:.0f}s more ({key})"
        if model.provider not in self.catalog.providers:
            return f"provider {model.provider!r} is not installed"
        return ""

    async def execute(self, plan: Plan, request: ChatRequest) -> tuple[ChatResponse, Route]:
        """The first successful response along the plan, and the route that led to it.

        Raises the error itself when the fallback strategy says FAIL, and
        NoModelAvailableError (with the route) when every model failed or was benched.
        """
        started = time.perf_counter()
        attempts: list[Attempt] = []
        for index, model in enumerate(plan.models):
            if reason := self.bench_reason(model):
                attempts.append(
                    Attempt(model.id, ok=False, duration_s=0.0, error=reason, skipped=True)
                )
                continue
            response, error = await self._attempt(model, request, len(attempts) + 1, attempts)
            if response is not None:
                return response, self._finish(attempts, model.id, started)
            assert error is not None
            decision = self._decide(error, model)
            if decision.action is FallbackAction.FAIL:
                self._finish(attempts, None, started)
                raise error
            if index + 1 < len(plan.models):
                self.plugins.emit(
                    "neoclone_fallback_taken",
                    from_model=model,
                    to_model=plan.models[index + 1],
                    error=error,
                )
        route = self._finish(attempts, None, started)
        tried = ", ".join(f"{a.model_id} ({a.error_kind or a.error})" for a in attempts)
        msg = f"no model could serve the request; tried: {tried or 'nothing (empty plan)'}"
        raise NoModelAvailableError(msg, route)

    async def _attempt(
        self, model: ModelInfo, request: ChatRequest, number: int, attempts: list[Attempt]
    ) -> tuple[ChatResponse | None, ProviderError | None]:
        ctx = self.catalog.context(model.provider)
        provider = self.catalog.providers[model.provider]
        self.plugins.emit("neoclone_attempt_started", model=model, attempt_number=number)
        t0 = time.perf_counter()
        try:
            with anyio.fail_after(ctx.timeout):
                response = await provider.chat(ctx, model, request)
        except Exception as exc:  # every failure becomes an attempt in the route
            error = as_provider_error(exc, model, ctx.timeout)
            scrub_exception(error, [ctx.api_key])
            attempt = Attempt(
                model.id,
                ok=False,
                duration_s=time.perf_counter() - t0,
                error_kind=error.kind,
                error=str(error),
            )
            attempts.append(attempt)
            self.store.record_attempt(
                model.id,
                ok=False,
                duration_s=attempt.duration_s,
                error_kind=error.kind,
                at=self.clock(),
            )
            log.info("neoclone.attempt_failed", model=model.id, error_kind=error.kind)
            self.plugins.emit("neoclone_attempt_failed", model=model, error=error, attempt=attempt)
            return None, error
        duration = time.perf_counter() - t0
        attempts.append(Attempt(model.id, ok=True, duration_s=duration))
        self.store.record_attempt(model.id, ok=True, duration_s=duration, at=self.clock())
        return response, None

    def _decide(self, error: ProviderError, model: ModelInfo) -> FallbackDecision:
        decision = self.plugins.first_result(
            "neoclone_fallback_decision", {"error": error, "model": model, "attempt_number": 1}
        )
        decision = decision if isinstance(decision, FallbackDecision) else _NEXT
        now = self.clock()
        if decision.bench_model_s > 0:
            self.benched_until[model.id] = now + decision.bench_model_s
        if decision.bench_provider_s > 0:
            self.benched_until[f"provider:{model.provider}"] = now + decision.bench_provider_s
        return decision

    def _finish(self, attempts: list[Attempt], served_by: str | None, started: float) -> Route:
        route = Route(tuple(attempts), served_by, time.perf_counter() - started)
        self.plugins.emit("neoclone_request_finished", route=route)
        return route
