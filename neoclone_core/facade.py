"""`Neoclone`: the one object a host application and every front end use.

It wires the four stages together over one store and one HTTP client: discover (the
catalog), score (the ranking), select (the plan) and execute (the engine). The CLI and
the gateway use these methods and nothing below them. Methods that do I/O are async;
`BlockingNeoclone` runs the same object from synchronous code.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neoclone_core.config import Settings, check_provider_tables, load_settings
from neoclone_core.discover.catalog import CacheStats, Catalog, ProviderScan
from neoclone_core.discover.index import CatalogReader, catalog_totals
from neoclone_core.errors import NoModelAvailableError
from neoclone_core.execute.engine import Engine
from neoclone_core.execute.health import HealthChecker, HealthReport
from neoclone_core.execute.policy import EnginePolicy
from neoclone_core.execute.quota_left import QuotaLeft, plan_left
from neoclone_core.execute.rate_limit_wait import rate_limit_wait
from neoclone_core.models import (
    Capability,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Plan,
    Route,
    ScoredModel,
    TaskProfile,
    as_chat_request,
)
from neoclone_core.plugins import Plugins, build_plugins
from neoclone_core.redaction import Secret
from neoclone_core.score.ranking import Ranking, rank_models
from neoclone_core.seed_names import SeedNames
from neoclone_core.select.plan import (
    Recommendation,
    recommendations,
    select_plan,
    with_last_resort,
    with_left_out,
)
from neoclone_core.select.sessions import Session, Sessions
from neoclone_core.state.engine_state import BreakerState, Cooldown, EngineState, SessionStats
from neoclone_core.state.scan_cache import ScanCache
from neoclone_core.state.shared import open_shared_state
from neoclone_core.state.store import Store
from neoclone_core.state.usage import UsageLedger
from neoclone_core.user_agent import http_client

if TYPE_CHECKING:
    import httpx

    from neoclone_core.execute.streaming import ChatStream
    from neoclone_core.provider import FreeTier

STORE_FILE = "neoclone.sqlite3"

RequestLike = str | ChatRequest | Mapping[str, Any]


class Neoclone(SeedNames):
    """Discovery, recommendation and execution over every installed plugin.

    Build it with `await Neoclone.open()` (or the seed's
    `create_enhanced_model_discovery_module()`), or directly and then `await initialize()`.
    Close it with `await aclose()` or `async with`.

    Execution runs by `policy` and keeps breakers, cooldowns and statistics in `state`:
    the given `EngineState`, else the shared store the config's `store` URL names, else
    the embedded store (a `state` that is also a `ScanCache` shares scans too). Time
    comes from `clock` (POSIX, for what is stored), `monotonic` and `sleep`, which tests
    replace with a hand-moved clock; `rng` draws the backoff jitter.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        plugins: Plugins | None = None,
        clock: Callable[[], float] = time.time,
        env: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: EnginePolicy | None = None,
        state: EngineState | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        import anyio

        self.settings = settings if settings is not None else load_settings()
        self.plugins = plugins or build_plugins(disabled=self.settings.disabled_plugins)
        # Opened first: a shared store that cannot be reached stops us before anything
        # else is opened. Closed by `aclose` only when opened here.
        shared = None if state is not None else open_shared_state(self.plugins, self.settings)
        self._shared_state = shared
        state = state if shared is None else shared
        self.clock = clock
        self._store = Store(self.settings.home / STORE_FILE)
        self._http = http_client(transport)
        env = env if env is not None else os.environ
        shared_scans = state if isinstance(state, ScanCache) else None
        providers = self.plugins.providers()
        check_provider_tables(self.settings, providers)
        self._catalog = Catalog(
            self._store, self.plugins, providers, self.settings, self._http, clock, env,
            shared=shared_scans,
        )  # fmt: skip
        self._state: EngineState = state if state is not None else self._store
        policy = policy or EnginePolicy()
        ledger = self._state if isinstance(self._state, UsageLedger) else self._store
        self._engine = Engine(
            self._catalog, self.plugins, self._state, clock, policy, sleep or anyio.sleep,
            monotonic, rng, ledger, self.settings.quota,
        )  # fmt: skip
        self.sessions = Sessions()
        self._reader = CatalogReader(self._catalog, monotonic)

    @classmethod
    async def open(cls, settings: Settings | None = None, **kwargs: Any) -> Neoclone:
        """A ready instance: built, then `initialize()`d."""
        neoclone = cls(settings, **kwargs)
        await neoclone.initialize()
        return neoclone

    async def __aenter__(self) -> Neoclone:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Write buffered statistics, close the HTTP client and the store."""
        self._engine.close()
        await self._http.aclose()
        close_shared = getattr(self._shared_state, "close", None)
        if callable(close_shared):
            close_shared()  # the shared store this instance opened from the config
        self._store.close()

    async def discover(
        self, *, refresh: bool = False, on_result: Callable[[ProviderScan], None] | None = None
    ) -> list[ProviderScan]:
        """Scan due providers (all of them with `refresh`), concurrently."""
        self._reader.invalidate()
        try:
            return await self._catalog.discover(refresh=refresh, on_result=on_result)
        finally:
            self._reader.invalidate()

    @property
    def provider_names(self) -> list[str]:
        """Every installed provider, by name (disabled ones included: they report too)."""
        return sorted(self._catalog.providers)

    def free_tiers(self) -> dict[str, FreeTier]:
        """What each provider's free tier gives and costs the user (those that say)."""
        return self._catalog.free_tiers()

    def models(
        self,
        *,
        free_only: bool = False,
        capability: Capability | str | None = None,
        provider: str | None = None,
    ) -> list[ModelInfo]:
        """The catalog, filtered; no network."""
        return self._reader.filtered(free_only=free_only, capability=capability, provider=provider)

    def model(self, model_id: str) -> ModelInfo:
        """The catalog entry for `model_id`; UnknownModelError with close matches if none."""
        return self._reader.model(model_id)

    def analyse(self, text: str) -> TaskProfile:
        """The task profile of `text`, from the first analyser plugin that gives one."""
        profile = self.plugins.first_result("neoclone_analyse_task", {"text": text})
        return profile if isinstance(profile, TaskProfile) else TaskProfile(text=text)

    def rank(
        self,
        profile: TaskProfile,
        models: Sequence[ModelInfo] | None = None,
        *,
        all_providers: bool = False,
    ) -> Ranking:
        """Every model (or `models`) scored by every scoring plugin, best first. Without
        `models`, only models this machine can call now (their provider's key is set, or
        it needs none), unless `all_providers`."""
        if models is None:
            models = self._callable({} if all_providers else self._catalog.keyless())
        observations = self._engine.observations()
        return rank_models(self.plugins, profile, list(models), observations, self.settings)

    def plan(
        self,
        profile: TaskProfile,
        max_models: int = 5,
        *,
        ranked: Sequence[ScoredModel] | None = None,
        all_providers: bool = False,
    ) -> Plan:
        """The selection plugins' plan for `profile`, over `ranked` (the catalog ranked
        for `profile`, computed here unless given; see `rank` for `all_providers`)."""
        keyless = {} if all_providers else self._catalog.keyless()  # read once a request
        if ranked is None:
            ranked = self.rank(profile, self._callable(keyless))
        plan = select_plan(self.plugins, profile, ranked, max_models, self.settings)
        return with_left_out(plan, keyless)

    def _callable(self, keyless: Mapping[str, str]) -> list[ModelInfo]:
        """The catalog less the models of the `keyless` providers."""
        return [m for m in self._reader.index().by_id.values() if m.provider not in keyless]

    async def recommend(
        self, text: str, max_results: int = 5, *, all_providers: bool = False
    ) -> list[Recommendation]:
        """The best free models for the task in `text`, with their scores explained:
        among the models this machine can call now, or the whole catalog with
        `all_providers`."""
        profile = self.analyse(text)
        ranked = self.rank(profile, all_providers=all_providers)
        plan = self.plan(profile, max_results, ranked=ranked, all_providers=all_providers)
        return recommendations(profile, plan, ranked)

    @property
    def last_resort(self) -> ModelInfo | None:
        """The model every plan ends with (it runs on this machine), or None when the
        config opts out (`local_fallback = false`) or none is installed."""
        return self._reader.index().last_resort if self.settings.local_fallback else None

    def plan_for(
        self,
        request: ChatRequest,
        models: Sequence[str] = (),
        session: str | None = None,
        *,
        profile: TaskProfile | None = None,
        ranked: Sequence[ScoredModel] | None = None,
    ) -> Plan:
        """The plan a request runs: the named session's models, else `models` in order,
        else the plan made for its task (`profile`, analysed here unless given, over
        `ranked`, ranked here unless given); every plan ends with the last-resort local
        model (see `select.plan`)."""
        if session is not None:
            models = self.sessions.named(session).model_ids
        if models:
            plan = Plan(models=tuple(self.model(m) for m in models))
        else:
            profile = profile if profile is not None else self.analyse(request.text)
            plan = self.plan(profile, ranked=ranked)
        last_resort = self._reader.index().last_resort
        return with_last_resort(plan, last_resort, enabled=self.settings.local_fallback)

    async def create_session(
        self, name: str, primary_model: str, backup_models: Sequence[str] = ()
    ) -> Session:
        """A named plan of catalog ids; unknown ids are refused now, not at request time."""
        for model_id in (primary_model, *backup_models):
            self.model(model_id)
        return self.sessions.add(Session(name, (primary_model, *backup_models)))

    async def create_session_for_task(self, name: str, task: str, max_models: int = 5) -> Session:
        """A named session whose plan is the one selection makes for `task` (its
        primary and backups fixed now, so every request of the session runs the same)."""
        models = [m.id for m in self.plan(self.analyse(task), max_models).models]
        if not models:
            msg = f"no model of the catalog can serve the task of session {name!r}"
            raise NoModelAvailableError(msg, Route())
        return await self.create_session(name, models[0], models[1:])

    async def chat(
        self,
        request: RequestLike,
        *,
        models: Sequence[str] = (),
        session: str | None = None,
        deadline_s: float | None = None,
    ) -> tuple[ChatResponse, Route]:
        """Run `request` on `models` in order (or a session's, or the plan made for its
        task) with fallback; the response and its route.

        Raises NoModelAvailableError (carrying the route) when no model served, and the
        provider's error itself when the fallback strategy returns it to the caller (a
        bad request). `deadline_s` bounds the whole request (default: the policy's).
        """
        chat_request = as_chat_request(request)
        plan = self.plan_for(chat_request, models, session)
        return await self.run(plan, chat_request, session=session or "", deadline_s=deadline_s)

    def stream(
        self,
        request: RequestLike,
        *,
        models: Sequence[str] = (),
        session: str | None = None,
        deadline_s: float | None = None,
    ) -> ChatStream:
        """`request` streamed along the same plan as `chat` would run, with failover until
        the first chunk; open it with `async with` (an example is in `ChatStream`)."""
        chat_request = as_chat_request(request)
        plan = self.plan_for(chat_request, models, session)
        return self.run_stream(plan, chat_request, session=session or "", deadline_s=deadline_s)

    async def run(
        self,
        plan: Plan,
        request: ChatRequest,
        *,
        session: str = "",
        deadline_s: float | None = None,
    ) -> tuple[ChatResponse, Route]:
        """Run `request` along `plan` (made by `plan_for` or `plan`, or by the caller):
        what `chat` does once it has its plan; `session` names its statistics."""
        return await self._engine.execute(plan, request, session=session, deadline_s=deadline_s)

    def run_stream(
        self,
        plan: Plan,
        request: ChatRequest,
        *,
        session: str = "",
        deadline_s: float | None = None,
    ) -> ChatStream:
        """`request` streamed along `plan`; what `stream` does once it has its plan."""
        return self._engine.stream(plan, request, session=session, deadline_s=deadline_s)

    def rate_limit_wait(self, plan: Plan, route: Route) -> int | None:
        """Seconds until `plan`'s first model may be called, when every model waits out a
        rate limit or its spent free-tier quota (what a 429's Retry-After should say);
        None otherwise."""
        return rate_limit_wait(self._engine, plan.models, route)

    def quota_left(self, plan: Plan) -> QuotaLeft:
        """What is left of the free-tier quota across `plan`'s models whose limits are
        known (the gateway's `x-ratelimit-*` headers)."""
        return plan_left(self._engine, plan.models)

    async def check_health(self, models: Sequence[str] | None = None) -> list[HealthReport]:
        """Probe `models` (default: every session's and every model called lately) once,
        each only if due and within its free-tier budget (see `HealthChecker`)."""
        return await HealthChecker(self._engine).check(self._watched(models))

    def health_monitor(
        self, models: Sequence[str] | None = None, *, interval_s: float = 300.0
    ) -> AbstractAsyncContextManager[HealthChecker]:
        """Probe `models` in the background every `interval_s` while the block runs."""
        checker = HealthChecker(self._engine, interval_s)
        return checker.monitoring(lambda: self._watched(models))

    def _watched(self, models: Sequence[str] | None) -> list[ModelInfo]:
        if models is None:
            called = set(self._engine.recorder.last_call_at)
            models = sorted(self.sessions.model_ids() | called)
        known = self._reader.index().by_id
        return [known[m] for m in models if m in known]

    def catalog_stats(self) -> dict[str, Any]:
        """Totals over the catalog: models, free models, providers, capabilities, context."""
        return catalog_totals(self.models())

    def cache_stats(self) -> CacheStats:
        """Freshness of the scan cache."""
        return self._catalog.stats()

    def clear_cache(self) -> None:
        """Forget every scan: the next discovery scans every provider again."""
        self._store.clear_cache()
        self._reader.invalidate()

    @property
    def store_path(self) -> Path:
        """The embedded store's file."""
        return self._store.path

    def stats(self) -> dict[str, Any]:
        """Per-model and per-session statistics (success rate, errors by kind, latency
        and time-to-first-token percentiles), the breakers and cooldowns in force, and
        what is left of the free-tier quotas (`quota`)."""
        from neoclone_core.execute.stats_report import report

        return {**report(self._engine, self.sessions), "quota": self.quota()}

    def quota(self) -> dict[str, Any]:
        """What is left of every free-tier quota the usage ledger counts, per window, and
        what the providers last said (`neoclone quota`; docs/quota.md)."""
        from neoclone_core.execute.quota_report import quota_report

        return quota_report(self._engine.budget)

    def session_stats(self) -> dict[str, SessionStats]:
        """Each named session's statistics, from the store."""
        self._engine.recorder.flush()
        stored = self._state.session_stats()
        return {name: stored.get(name, SessionStats(name)) for name in self.sessions}

    def breaker_states(self) -> dict[str, BreakerState]:
        """Every circuit breaker known, by key (a model id, or `provider:<name>`)."""
        return self._engine.admission.breaker_states()

    def cooldowns(self) -> dict[str, Cooldown]:
        """The cooldowns running now, by key."""
        return self._engine.admission.cooldowns()

    @property
    def state(self) -> EngineState:
        """The state store in use: the one given, the config's shared one, or embedded."""
        return self._state

    @property
    def state_store_available(self) -> bool:
        """Whether the state store answers (False: a shared store is down, local state
        is used meanwhile)."""
        return bool(getattr(self._state, "available", True))

    def secrets(self) -> list[Secret]:
        """Every API key this instance sends upstream, as `Secret`s: what a front end
        redacts from everything it shows (they never print in clear)."""
        return [key for key in self._engine.api_keys() if key]
