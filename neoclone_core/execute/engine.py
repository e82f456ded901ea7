"""Executing a plan: each model in turn until one answers, the fallback strategy deciding
after every failure, and every attempt recorded in the route and the statistics.

One loop serves both shapes of request: `execute` calls `provider.chat()`, streams call
`provider.stream()` up to their first chunk (see `_streaming`), so failover before the
first token is the same code as failover of a whole call. Around each call:

- the gate (`admission`) refuses models that are cooling down or whose breaker is open,
  and the budget (`budget`) models whose free-tier quota is spent (or too small for the
  request's tokens), before any connection is made; both hear how every call went;
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

from neoclone_core.config_quota import DEFAULT_QUOTA, QuotaSettings
from neoclone_core.discover.catalog import Catalog
from neoclone_core.errors import AuthenticationError, ProviderError, RateLimitedError
from neoclone_core.execute.admission import Admission, CallPermit
from neoclone_core.execute.budget import Budget, rules_of
from neoclone_core.execute.calls import (
    ActiveCall,
    Call,
    Endpoint,
    RequestRun,
    SucceededCall,
    as_provider_error,
    credential_of,
)
from neoclone_core.execute.fallback import FallbackAction, FallbackDecision
from neoclone_core.execute.outcomes import Outcomes
from neoclone_core.execute.policy import EnginePolicy
from neoclone_core.execute.recorder import Recorder
from neoclone_core.execute.retry import Deadline
from neoclone_core.log import log
from neoclone_core.models import Attempt, ChatRequest, ChatResponse, ModelInfo, Plan, Route
from neoclone_core.plugins import Plugins
from neoclone_core.provider import Provider, ProviderContext
from neoclone_core.redaction import Secret
from neoclone_core.score.observations import Observations
from neoclone_core.state.engine_state import EngineState, provider_key
from neoclone_core.state.usage import Reservation, UsageLedger

if TYPE_CHECKING:
    from neoclone_core.execute.streaming import ChatStream

T = TypeVar("T")
_NEXT = FallbackDecision(FallbackAction.NEXT, reason="no fallback strategy decided")
_KEY_REFUSALS = (AuthenticationError, RateLimitedError)  # what another key may not meet


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
    ledger: UsageLedger | None = None
    """Where calls are counted against free-tier quotas: `state` when it is a ledger too
    (the embedded store is), else none (quotas are then learnt from 429s only)."""
    quota: QuotaSettings = DEFAULT_QUOTA
    admission: Admission = attrs.field(init=False)
    budget: Budget = attrs.field(init=False)
    recorder: Recorder = attrs.field(init=False)
    outcomes: Outcomes = attrs.field(init=False)
    _endpoints: dict[str, list[Endpoint]] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        policy = self.policy
        self.admission = Admission(
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
        self.outcomes = Outcomes(self.recorder, self.admission, self.plugins, self.clock)
        ledger = self.ledger
        if ledger is None and isinstance(self.state, UsageLedger):
            ledger = self.state
        self.budget = Budget(
            ledger,
            self.quota,
            lambda name: rules_of(self.catalog.providers.get(name)),
            self.clock,
            self.monotonic,
            policy.state_sync_s,
        )

    def observations(self) -> Observations:
        """What scoring plugins see: statistics, cooldowns and open breakers."""
        breakers = {
            k: s.status_at(self.clock()) for k, s in self.admission.breaker_states().items()
        }
        return Observations(
            self.recorder.model_stats(),
            self.admission.unavailable_until(),
            self.clock(),
            breakers=breakers,
            quota_left=self.budget.shares_left(),
        )

    def close(self) -> None:
        """Write the buffered statistics."""
        self.recorder.flush()

    # -- requests -----------------------------------------------------------------------

    def start(
        self, plan: Plan, request: ChatRequest, session: str = "", deadline_s: float | None = None
    ) -> RequestRun:
        """A request about to run `plan`, its deadline starting now."""
        seconds = self.policy.deadline_s if deadline_s is None else deadline_s
        return RequestRun(plan, request, session, Deadline.after(seconds, self.monotonic))

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
        return served.value, self.outcomes.succeeded(run, served.call)

    def stream(
        self,
        plan: Plan,
        request: ChatRequest,
        *,
        session: str = "",
        deadline_s: float | None = None,
    ) -> ChatStream:
        """A stream along the plan, opened by `async with` (see `ChatStream`)."""
        from neoclone_core.execute.streaming import ChatStream

        return ChatStream(self, self.start(plan, request, session, deadline_s))

    async def serve(self, run: RequestRun, call: Call[T]) -> SucceededCall[T]:
        """The first model of the plan whose `call` succeeds; raises as `execute` says."""
        models = run.plan.models
        for index, model in enumerate(models):
            served = await self._serve_model(run, call, model, models[index + 1 :])
            if served is not None:
                return served
        raise self.outcomes.unserved(run)

    async def _serve_model(
        self, run: RequestRun, call: Call[T], model: ModelInfo, rest: Sequence[ModelInfo]
    ) -> SucceededCall[T] | None:
        retry = 0
        tried: set[str] = set()  # keys refused for this model (401, 403, 429): not again
        while True:
            admitted = self._admit(run, model, tried)
            if admitted is None:
                return None
            permit, reservation, endpoint = admitted
            outcome = await self._call(
                run, call, model, permit, retry, reservation=reservation, endpoint=endpoint
            )
            if isinstance(outcome, SucceededCall):
                return outcome
            credential = endpoint.credential
            decision = self.decide(outcome, model, retry + 1, self._callable(run, rest), credential)
            if decision.action is FallbackAction.FAIL:
                self.outcomes.finish(run, None, outcome.kind)
                raise outcome
            delay = self._retry_delay(run, decision, model, retry)
            if delay is None:
                if isinstance(outcome, _KEY_REFUSALS) and self._another_key(
                    model, tried, credential
                ):
                    continue  # the same model with another key of its provider
                self._move_on(run, model, rest, outcome, decision)
                return None
            await self.sleep(delay)
            retry += 1

    def _admit(
        self, run: RequestRun, model: ModelInfo, tried: set[str] | None = None
    ) -> tuple[CallPermit, Reservation | None, Endpoint] | None:
        """Leave to call `model` now with the first of its provider's keys (not in
        `tried`) that may call it and has quota for it, and the quota it spends; None
        after recording why it was skipped (the first key's reason)."""
        tried = tried or set()
        reasons = [self._skip_reason(run, model)]
        for endpoint in [] if reasons[0] else self.endpoints(model.provider):
            if endpoint.credential in tried:
                continue
            verdict = self.admission.admit(model, endpoint.credential)
            if isinstance(verdict, CallPermit):
                spent = self.budget.reserve(model, endpoint.credential, run.request)
                if not isinstance(spent, str):
                    return verdict, spent, endpoint
                self.admission.released(verdict)
                verdict = spent
            reasons.append(verdict)
        reason = next((r for r in reasons if r), "every key of its provider was refused")
        run.attempts.append(Attempt(model.id, ok=False, duration_s=0.0, error=reason, skipped=True))
        return None

    def _another_key(self, model: ModelInfo, tried: set[str], credential: str) -> bool:
        """Whether, `credential` refused, another key of `model`'s provider not `tried`
        yet may call it now (marks `credential` tried)."""
        tried.add(credential)
        return any(
            e.credential not in tried and not self.admission.refusal(model, e.credential)
            for e in self.endpoints(model.provider)
        )

    def _skip_reason(self, run: RequestRun, model: ModelInfo) -> str:
        if model.provider not in self.catalog.providers:
            return f"provider {model.provider!r} is not installed"
        if run.deadline.left() <= 0:
            return "the request's deadline has passed"
        if run.min_context is not None and (model.context_length or 0) <= run.min_context:
            known = f"{model.context_length:,}" if model.context_length else "unknown"
            return f"context {known} is not larger than the {run.min_context:,} that overflowed"
        return ""

    def _callable(self, run: RequestRun, models: Sequence[ModelInfo]) -> list[ModelInfo]:
        """Those of `models` that could be called right now."""
        return [
            m
            for m in models
            if not self._skip_reason(run, m)
            and any(not self.admission.refusal(m, e.credential) for e in self.endpoints(m.provider))
        ]

    async def _call(
        self,
        run: RequestRun,
        call: Call[T],
        model: ModelInfo,
        permit: CallPermit,
        retry: int,
        *,
        reservation: Reservation | None = None,
        endpoint: Endpoint | None = None,
    ) -> SucceededCall[T] | ProviderError:
        endpoint = endpoint or self.endpoint(model.provider)
        timeout = min(endpoint.ctx.timeout, run.deadline.left())
        number = len(run.attempts) + 1
        self.plugins.emit("neoclone_attempt_started", model=model, attempt_number=number)
        active = ActiveCall(model, permit, endpoint, time.perf_counter(), retry, reservation)
        try:
            with anyio.fail_after(timeout):
                value = await call(endpoint.provider, endpoint.ctx, model)
        except anyio.get_cancelled_exc_class():
            self.outcomes.cancelled(run, active)
            raise
        except Exception as exc:  # every failure becomes an attempt in the route
            error = as_provider_error(exc, model, timeout)
            self.budget.failed(reservation, model, endpoint.credential, error)
            self.outcomes.failed(run, active, error)
            return error
        self.budget.succeeded(reservation, model, endpoint.credential, value)
        return SucceededCall(active, value)

    # -- deciding -----------------------------------------------------------------------

    def decide(
        self,
        error: ProviderError,
        model: ModelInfo,
        attempt_number: int,
        remaining: Sequence[ModelInfo],
        credential: str | None = None,
    ) -> FallbackDecision:
        """The fallback strategy's decision, its cooldowns already applied (to the key
        `credential` the call was made with; the provider's first key by default)."""
        kwargs = {
            "error": error,
            "model": model,
            "attempt_number": attempt_number,
            "remaining": remaining,
        }
        decision = self.plugins.first_result("neoclone_fallback_decision", kwargs)
        decision = decision if isinstance(decision, FallbackDecision) else _NEXT
        if credential is None:
            credential = self.endpoint(model.provider).credential
        reason = decision.reason or error.kind
        cap = self.policy.max_cooldown_s
        self.admission.cool_down(model.id, min(decision.cooldown_model_s, cap), reason, credential)
        key = provider_key(model.provider)
        self.admission.cool_down(key, min(decision.cooldown_provider_s, cap), reason, credential)
        return decision

    def _retry_delay(
        self, run: RequestRun, decision: FallbackDecision, model: ModelInfo, retry: int
    ) -> float | None:
        """Seconds to wait before retrying `model`, or None when it must not be retried."""
        if decision.action is not FallbackAction.RETRY or retry >= self.policy.retry.max_retries:
            return None
        delay = decision.delay_s or self.policy.retry.backoff_s(retry + 1, self.rng)
        if not run.deadline.allows(delay):
            log.info("neoclone.retry_skipped", model=model.id, delay_s=delay, why="deadline")
            return None
        if all(self.admission.refusal(model, e.credential) for e in self.endpoints(model.provider)):
            return None
        return delay

    def _move_on(
        self,
        run: RequestRun,
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

    def api_keys(self) -> list[Secret | None]:
        """Every installed provider's keys (None where it has none), by provider name."""
        return [
            e.ctx.api_key for name in sorted(self.catalog.providers) for e in self.endpoints(name)
        ]

    def endpoint(self, provider: str) -> Endpoint:
        """The installed provider `provider` with its first key's context (KeyError if
        not installed)."""
        return self.endpoints(provider)[0]

    def endpoints(self, provider: str) -> list[Endpoint]:
        """The installed provider `provider` with each of its keys' contexts, in the
        config's order (one, without a key, for a provider that needs none)."""
        endpoints = self._endpoints.get(provider)
        if endpoints is None:
            plugin = self.catalog.providers[provider]
            endpoints = [
                Endpoint(plugin, ctx, credential_of(ctx)) for ctx in self.catalog.contexts(provider)
            ]
            self._endpoints[provider] = endpoints
        return endpoints
