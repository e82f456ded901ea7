"""Health checks: probing models in the background, within their free-tier limits.

A breaker learns a model has recovered only when something calls it; without traffic,
the first user after an outage pays for the discovery. The health checker makes that
call instead: the cheapest one (a one-token completion), at an interval, and only when
real traffic has not just told us the same. Probes go through the gate like any call
(no probe reaches a model cooling down or whose breaker is open; a half-open breaker's
probe may be one), feed the breakers and the statistics, and never touch a request's
retry budget or deadline: each is a single call bounded by its provider's timeout.

Free tiers are small (OpenRouter: 50 requests a day), so a model's probes may use at
most `budget_share` of its documented limits, however short the interval.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence

import anyio
import attrs

from neoclone_core.errors import ProviderError
from neoclone_core.execute.admission import CallPermit
from neoclone_core.execute.calls import as_provider_error
from neoclone_core.execute.engine import Engine
from neoclone_core.models import ChatRequest, ModelInfo
from neoclone_core.redaction import scrub_exception
from neoclone_core.state.engine_state import AttemptRecord

HEALTH_SESSION = "(health)"
PROBE = ChatRequest.from_prompt("ping", max_tokens=1)
_DAY_S, _MINUTE_S = 86_400.0, 60.0


@attrs.frozen
class HealthReport:
    """One model's health check: `ok` is None when it was not probed (`detail` says why)."""

    model_id: str
    ok: bool | None
    at: float
    duration_s: float = 0.0
    error_kind: str = ""
    detail: str = ""


@attrs.define
class HealthChecker:
    """Probes models through `engine` every `interval_s` (or less often, see above)."""

    engine: Engine
    interval_s: float = 300.0
    budget_share: float = 0.1
    _probed_at: dict[str, float] = attrs.field(factory=dict)

    def probe_interval(self, model: ModelInfo) -> float:
        """The shortest wait between two probes of `model` that fits its limits."""
        limits = model.rate_limit
        interval = self.interval_s
        if limits.requests_per_day:
            interval = max(interval, _DAY_S / (limits.requests_per_day * self.budget_share))
        if limits.requests_per_minute:
            interval = max(interval, _MINUTE_S / (limits.requests_per_minute * self.budget_share))
        return interval

    def not_due(self, model: ModelInfo) -> str:
        """Why `model` needs no probe now, or "" when it does."""
        now = self.engine.clock()
        interval = self.probe_interval(model)
        probed = self._probed_at.get(model.id)
        if probed is not None and now - probed < interval:
            return f"probed {now - probed:.0f}s ago"
        called = self.engine.recorder.last_call_at.get(model.id)
        if called is not None and now - called < interval:
            return f"a request called it {now - called:.0f}s ago"
        return ""

    async def check(self, models: Sequence[ModelInfo]) -> list[HealthReport]:
        """Probe every model that is due, concurrently; one report per model, in order."""
        reports: dict[str, HealthReport] = {}

        async def one(model: ModelInfo) -> None:
            reports[model.id] = await self.check_one(model)

        async with anyio.create_task_group() as group:
            for model in models:
                group.start_soon(one, model)
        return [reports[m.id] for m in models]

    async def check_one(self, model: ModelInfo) -> HealthReport:
        """Probe `model` if it is due and the gate lets a call through."""
        now = self.engine.clock()
        verdict = self.not_due(model) or self._admit(model)
        if isinstance(verdict, str):
            return HealthReport(model.id, None, now, detail=verdict)
        self._probed_at[model.id] = now
        report, error = await probe(self.engine, model, verdict)
        self.engine.plugins.emit("neoclone_health_checked", model=model, ok=report.ok, error=error)
        return report

    async def run(self, models: Callable[[], Sequence[ModelInfo]]) -> None:
        """Check `models()` every `interval_s`, until cancelled."""
        while True:
            await self.check(models())
            await self.engine.sleep(self.interval_s)

    @contextlib.asynccontextmanager
    async def monitoring(
        self, models: Callable[[], Sequence[ModelInfo]]
    ) -> AsyncIterator[HealthChecker]:
        """`run` in the background while the block runs; cancelled when it ends."""
        async with anyio.create_task_group() as group:
            group.start_soon(self.run, models)
            try:
                yield self
            finally:
                group.cancel_scope.cancel()

    def _admit(self, model: ModelInfo) -> CallPermit | str:
        """Leave to probe `model` (its quota counted, the share kept for probes
        included), or why not."""
        if model.provider not in self.engine.catalog.providers:
            return f"provider {model.provider!r} is not installed"
        credential = self.engine.endpoint(model.provider).credential
        permit = self.engine.admission.admit(model, credential)
        if isinstance(permit, CallPermit):
            spent = self.engine.budget.reserve(model, credential, PROBE, probe=True)
            if isinstance(spent, str):
                self.engine.admission.released(permit)
                return spent
        return permit


async def probe(
    engine: Engine, model: ModelInfo, permit: CallPermit
) -> tuple[HealthReport, ProviderError | None]:
    """One probe call of `model` under `permit`, its outcome fed to breakers and stats."""
    endpoint = engine.endpoint(model.provider)
    at, started = engine.clock(), time.perf_counter()
    try:
        with anyio.fail_after(endpoint.ctx.timeout):
            await endpoint.provider.chat(endpoint.ctx, model, PROBE)
    except anyio.get_cancelled_exc_class():
        engine.admission.released(permit)
        raise
    except Exception as exc:  # a failed probe is a finding, not an error
        error = as_provider_error(exc, model, endpoint.ctx.timeout)
        scrub_exception(error, [endpoint.ctx.api_key])
        duration = time.perf_counter() - started
        return _failed_probe(engine, model, permit, error, at=at, duration=duration), error
    duration = time.perf_counter() - started
    engine.admission.succeeded(permit)
    engine.recorder.attempt(AttemptRecord(model.id, at, True, duration, session=HEALTH_SESSION))
    return HealthReport(model.id, True, at, duration), None


def _failed_probe(
    engine: Engine,
    model: ModelInfo,
    permit: CallPermit,
    error: ProviderError,
    *,
    at: float,
    duration: float,
) -> HealthReport:
    engine.admission.failed(permit, error)
    engine.decide(error, model, 1, ())  # for its benches: a 429 to a probe is a 429
    engine.recorder.attempt(
        AttemptRecord(model.id, at, False, duration, error.kind, session=HEALTH_SESSION)
    )
    return HealthReport(model.id, False, at, duration, error.kind, str(error))
