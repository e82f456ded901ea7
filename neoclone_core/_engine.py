"""Executing a plan: each model in turn until one answers, the fallback strategy deciding
after every failure, and every attempt recorded in the route and the statistics.

One loop serves both shapes of request: `execute` calls `provider.chat()`, streams call
`provider.stream()` up to their first chunk (see `_streaming`), so failover before the
first token is the same code as failover of a whole call. Around each call:

- the gate (`_gate`) refuses models that are cooling down or whose breaker is open,
  before any connection is made, and hears how every call went;
- each call is bounded by its provider's timeout and by what is left of the request's
  deadline, which retries and fallbacks share and never extend;
- a failure goes to the `neoclone_fallback_decision` hook: RETRY (bounded, full-jitter
  backoff, never sleeping past the deadline), NEXT (at once), or FAIL;
- a caller's cancellation propagates into the provider call, which closes its
  connection, and is recorded as neither a success nor a failure of the model.

The hot path is memory only: statistics are buffered (`_recorder`), breakers and
cooldowns answered from memory (`_gate`); `_outcomes` records how calls ended.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import anyio
import attrs
import structlog

from neoclone_core._catalog import Catalog
from neoclone_core._fallback import FallbackAction, FallbackDecision
from neoclone_core._flight import (
    Call,
    Endpoint,
    Flight,
    Run,
    Served,
    as_provider_error,
    credential_of,
)
from neoclone_core._gate import Gate, Ticket
from neoclone_core._models import Attempt, ChatRequest, ChatResponse, ModelInfo, Plan, Route
from neoclone_core._observations import Observations
from neoclone_core._outcomes import Outcomes
from neoclone_core._plugins import Plugins
from neoclone_core._policy import EnginePolicy
from neoclone_core._provider import Provider, ProviderContext
from neoclone_core._recorder import Recorder
from neoclone_core._retry import Deadline
from neoclone_core._state import EngineState, provider_key
from neoclone_core.errors import ProviderError

if TYPE_CHECKING:
    from neoclone_core._streaming import ChatStream

log = structlog.get_logger("neoclone")
T = TypeVar("T")
_NEXT = FallbackDecision(FallbackAction.NEXT, reason="no fallback strategy decided")


@attrs.define(eq=False)
class Engine:
    """Runs plans against the catalog's providers (see the module docstring)."""

    catalog: Catalog
    plugins: Plugins
    state: EngineState
    clock: Callable[[], float]
    policy: EnginePolicy = attrs.field(factory=EnginePolicy)
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep
    monotonic: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = random.random
    gate: Gate = attrs.field(init=False)
    recorder: Recorder = attrs.field(init=False)
    outcomes: Outcomes = attrs.field(init=False)
    _endpoints: dict[str, Endpoint] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        policy = self.policy
        self.gate = Gate(
            self.state,
            policy.breaker,
            self.plugins,
            self.clock,
            self.monotonic,
            policy.state_sync_s,
        )
        self.recorder = Recorder(
            self.state, self.monotonic, policy.flush_every, policy.flush_s, policy.state_sync_s
        )
        self.outcomes = Outcomes(self.recorder, self.gate, self.plugins, self.clock)

    def observations(self) -> Observations:
        """What scoring plugins see: statistics, cooldowns and open breakers."""
        breakers = {k: s.status_at(self.clock()) for k, s in self.gate.breaker_states().items()}
        return Observations(
            self.recorder.model_stats(), self.gate.waits(), self.clock(), breakers=breakers
        )

    def close(self) -> None:
        """Write the buffered statistics."""
        self.recorder.flush()

    # -- requests -----------------------------------------------------------------------

    def start(
        self, plan: Plan, request: ChatRequest, session: str = "", deadline_s: float | None = None
    ) -> Run:
        """A request about to run `plan`, its deadline starting now."""
        seconds = self.policy.deadline_s if deadline_s is None else deadline_s
        return Run(plan, request, session, Deadline.after(seconds, self.monotonic))

    async def execute(
        self,
        plan: Plan,
        request: ChatRequest,
        *,
        session: str = "",
        deadline_s: float | None = None,
    ) -> tuple[ChatResponse, Route]:
        """The first successful response along the plan, and the route that led to it.

        Raises the error itself when the fallback strategy says FAIL, and
        NoModelAvailableError (with the route) when every model failed or was skipped.
        """
        run = self.start(plan, request, session, deadline_s)

        async def chat(provider: Provider, ctx: ProviderContext, model: ModelInfo) -> ChatResponse:
            return await provider.chat(ctx, model, request)

        served = await self.serve(run, chat)
        return served.value, self.outcomes.succeeded(run, served.flight)

    def stream(
        self,
        plan: Plan,
        request: ChatRequest,
        *,
        session: str = "",
        deadline_s: float | None = None,
    ) -> ChatStream:
        """A stream along the plan, opened by `async with` (see `ChatStream`)."""
        from neoclone_core._streaming import ChatStream

        return ChatStream(self, self.start(plan, request, session, deadline_s))

    async def serve(self, run: Run, call: Call[T]) -> Served[T]:
        """The first model of the plan whose `call` succeeds; raises as `execute` says."""
        models = run.plan.models
        for index, model in enumerate(models):
            served = await self._serve_model(run, call, model, models[index + 1 :])
            if served is not None:
                return served
        raise self.outcomes.unserved(run)

    async def _serve_model(
        self, run: Run, call: Call[T], model: ModelInfo, rest: Sequence[ModelInfo]
    ) -> Served[T] | None:
        retry = 0
        while True:
            ticket = self._admit(run, model)
            if ticket is None:
                return None
            outcome = await self._call(run, call, model, ticket, retry)
            if isinstance(outcome, Served):
                return outcome
            decision = self.decide(outcome, model, retry + 1, self._callable(run, rest))
            if decision.action is FallbackAction.FAIL:
                self.outcomes.finish(run, None, outcome.kind)
                raise outcome
            delay = self._retry_delay(run, decision, model, retry)
            if delay is None:
                self._move_on(run, model, rest, outcome, decision)
                return None
            await self.sleep(delay)
            retry += 1

    def _admit(self, run: Run, model: ModelInfo) -> Ticket | None:
        """Leave to call `model` now, or None after recording why it was skipped."""
        verdict = self._skip_reason(run, model) or self.gate.admit(
            model, self.endpoint(model.provider).credential
        )
        if isinstance(verdict, Ticket):
            return verdict
        run.attempts.append(
            Attempt(model.id, ok=False, duration_s=0.0, error=verdict, skipped=True)
        )
        return None

    def _skip_reason(self, run: Run, model: ModelInfo) -> str:
        if model.provider not in self.catalog.providers:
            return f"provider {model.provider!r} is not installed"
        if run.deadline.left() <= 0:
            return "the request's deadline has passed"
        if run.min_context is not None and (model.context_length or 0) <= run.min_context:
            known = f"{model.context_length:,}" if model.context_length else "unknown"
            return f"context {known} is not larger than the {run.min_context:,} that overflowed"
        return ""

    def _callable(self, run: Run, models: Sequence[ModelInfo]) -> list[ModelInfo]:
        """Those of `models` that could be called right now."""
        return [
            m
            for m in models
            if not self._skip_reason(run, m)
            and not self.gate.refusal(m, self.endpoint(m.provider).credential)
        ]

    async def _call(
        self, run: Run, call: Call[T], model: ModelInfo, ticket: Ticket, retry: int
    ) -> Served[T] | ProviderError:
        endpoint = self.endpoint(model.provider)
        timeout = min(endpoint.ctx.timeout, run.deadline.left())
        number = len(run.attempts) + 1
        self.plugins.emit("neoclone_attempt_started", model=model, attempt_number=number)
        flight = Flight(model, ticket, endpoint, time.perf_counter(), retry)
        try:
            with anyio.fail_after(timeout):
                value = await call(endpoint.provider, endpoint.ctx, model)
        except anyio.get_cancelled_exc_class():
            self.outcomes.cancelled(run, flight)
            raise
        except Exception as exc:  # every failure becomes an attempt in the route
            error = as_provider_error(exc, model, timeout)
            self.outcomes.failed(run, flight, error)
            return error
        return Served(flight, value)

    # -- deciding -----------------------------------------------------------------------

    def decide(
        self,
        error: ProviderError,
        model: ModelInfo,
        attempt_number: int,
        remaining: Sequence[ModelInfo],
    ) -> FallbackDecision:
        """The fallback strategy's decision, its benches already applied."""
        kwargs = {
            "error": error,
            "model": model,
            "attempt_number": attempt_number,
            "remaining": remaining,
        }
        decision = self.plugins.first_result("neoclone_fallback_decision", kwargs)
        decision = decision if isinstance(decision, FallbackDecision) else _NEXT
        credential = self.endpoint(model.provider).credential
        reason = decision.reason or error.kind
        cap = self.policy.max_bench_s
        self.gate.bench(model.id, min(decision.bench_model_s, cap), reason, credential)
        key = provider_key(model.provider)
        self.gate.bench(key, min(decision.bench_provider_s, cap), reason, credential)
        return decision

    def _retry_delay(
        self, run: Run, decision: FallbackDecision, model: ModelInfo, retry: int
    ) -> float | None:
        """Seconds to wait before retrying `model`, or None when it must not be retried."""
        if decision.action is not FallbackAction.RETRY or retry >= self.policy.retry.max_retries:
            return None
        delay = decision.delay_s or self.policy.retry.backoff_s(retry + 1, self.rng)
        if not run.deadline.allows(delay):
            log.info("neoclone.retry_skipped", model=model.id, delay_s=delay, why="deadline")
            return None
        if self.gate.refusal(model, self.endpoint(model.provider).credential):
            return None
        return delay

    def _move_on(
        self,
        run: Run,
        model: ModelInfo,
        rest: Sequence[ModelInfo],
        error: ProviderError,
        decision: FallbackDecision,
    ) -> None:
        if decision.min_context is not None:
            run.min_context = max(run.min_context or 0, decision.min_context)
        if rest:
            self.plugins.emit(
                "neoclone_fallback_taken", from_model=model, to_model=rest[0], error=error
            )

    # -- providers ----------------------------------------------------------------------

    def endpoint(self, provider: str) -> Endpoint:
        """The installed provider `provider` with its context (KeyError if not installed)."""
        endpoint = self._endpoints.get(provider)
        if endpoint is None:
            ctx = self.catalog.context(provider)
            endpoint = Endpoint(self.catalog.providers[provider], ctx, credential_of(ctx))
            self._endpoints[provider] = endpoint
        return endpoint
