"""`Neoclone`: the one object a host application uses, and the seed's names for it.

It wires the stages together (plugins, catalog, scoring, selection, engine) over one
store and one HTTP client. Methods that do I/O are async; `BlockingNeoclone` runs
the same object from synchronous code through an anyio portal.
"""

from __future__ import annotations

import operator
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import attrs

from neoclone_core._catalog import CacheStats, Catalog, ProviderScan
from neoclone_core._config import Settings, load_settings
from neoclone_core._engine import Engine
from neoclone_core._health import HealthChecker, HealthReport
from neoclone_core._models import (
    Capability,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Plan,
    Route,
    Score,
    ScoreComponent,
    ScoredModel,
    TaskProfile,
)
from neoclone_core._plugins import Plugins, build_plugins
from neoclone_core._policy import EnginePolicy
from neoclone_core._ranking import Ranking
from neoclone_core._shared_scans import ScanCache
from neoclone_core._shared_state import open_shared_state
from neoclone_core._state import EngineState, SessionStats
from neoclone_core._store import Store
from neoclone_core._user_agent import user_agent
from neoclone_core.errors import NoModelAvailableError, PluginError, UnknownModelError

if TYPE_CHECKING:
    import httpx

    from neoclone_core._streaming import ChatStream

STORE_FILE = "neoclone.sqlite3"
LOCAL_PROVIDER = "local"  # the provider whose models run in process (neoclone-provider-local)
_INDEX_RECHECK_S = 1.0  # how stale another process's scans may look to a running instance
_KEEPALIVE_CONNECTIONS = 100  # a gateway runs dozens of calls at once; reuse their connections


@attrs.frozen
class Recommendation:
    """A recommended model, its rank (1 = best), its score, and the task it was scored for."""

    rank: int
    model: ModelInfo
    score: Score
    profile: TaskProfile


@attrs.frozen
class Session:
    """A named plan: the primary model first, then its backups, by catalog id."""

    name: str
    model_ids: tuple[str, ...]


def as_chat_request(request: str | ChatRequest | Mapping[str, Any]) -> ChatRequest:
    """A ChatRequest from a prompt, a ChatRequest, or an OpenAI-style dict
    (`messages`, or `prompt` / `task`, plus `max_tokens`, `temperature`)."""
    if isinstance(request, ChatRequest):
        return request
    if isinstance(request, str):
        return ChatRequest.from_prompt(request)
    extra = {k: request[k] for k in ("max_tokens", "temperature") if k in request}
    if "messages" in request:
        return ChatRequest(messages=request["messages"], **extra)
    for key in ("prompt", "task", "text"):
        if isinstance(request.get(key), str):
            return ChatRequest.from_prompt(request[key], **extra)
    msg = "a request needs 'messages' or a 'prompt' string"
    raise ValueError(msg)


@attrs.frozen
class CatalogIndex:
    """The catalog as the store held it at `version`: every model by id (in id order),
    and the first local model, which ends every plan unless the config opts out."""

    by_id: dict[str, ModelInfo]
    local: ModelInfo | None
    version: int  # the store's `scans_version` when read
    checked_at: float  # monotonic time the version was last compared with the store's

    @classmethod
    def of(cls, models: Sequence[ModelInfo], version: int, now: float) -> CatalogIndex:
        local = next((m for m in models if m.provider == LOCAL_PROVIDER), None)
        return cls({m.id: m for m in models}, local, version, now)


class Neoclone:
    """Discovery, recommendation and execution over every installed plugin.

    Build it with `await Neoclone.open()` (or the seed's
    `create_enhanced_model_discovery_module()`), or directly and then `await initialize()`.
    Close it with `await aclose()` or `async with`.

    Execution runs by `policy` (retries, breakers, deadline) and keeps breakers,
    cooldowns and statistics in `state`: the given `EngineState`, else the shared
    store the config's `store` URL names (opened by its store plugin; StoreError when
    it cannot be reached), else the embedded store. A `state` that is also a
    `ScanCache` shares the catalog's scans too (see `_shared_scans`). Time comes from
    `clock` (POSIX time, for what is stored), `monotonic` (deadlines and intervals) and
    `sleep` (backoff waits); tests replace all three with a hand-moved clock. `rng`
    draws the backoff jitter.
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
        import httpx  # here, not at module level: it is the costliest import of all

        self.settings = settings if settings is not None else load_settings()
        self.plugins = plugins or build_plugins(disabled=self.settings.disabled_plugins)
        # Opened first: a shared store that cannot be reached stops us before anything
        # else is opened. Closed by `aclose` only when opened here.
        shared = None if state is not None else open_shared_state(self.plugins, self.settings)
        self._shared_state = shared
        state = state if shared is None else shared
        self.clock = clock
        self._monotonic = monotonic
        self.store = Store(self.settings.home / STORE_FILE)
        limits = httpx.Limits(max_keepalive_connections=_KEEPALIVE_CONNECTIONS)
        self.http = httpx.AsyncClient(
            transport=transport,
            follow_redirects=True,
            limits=limits,
            headers={"User-Agent": user_agent()},
        )
        self.catalog = Catalog(
            self.store,
            self.plugins,
            self.plugins.providers(),
            self.settings,
            self.http,
            clock,
            env if env is not None else os.environ,
            shared=state if isinstance(state, ScanCache) else None,
        )
        self.state: EngineState = state if state is not None else self.store
        self.engine = Engine(
            self.catalog,
            self.plugins,
            self.state,
            clock,
            policy or EnginePolicy(),
            sleep or anyio.sleep,
            monotonic,
            rng,
        )
        self.sessions: dict[str, Session] = {}
        self._index: CatalogIndex | None = None

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
        self.engine.close()
        await self.http.aclose()
        close_shared = getattr(self._shared_state, "close", None)
        if callable(close_shared):
            close_shared()  # the shared store this instance opened from the config
        self.store.close()

    # -- discover ------------------------------------------------------------------------

    async def initialize(self) -> list[ProviderScan]:
        """Scan the providers that are due (never scanned, or older than the TTL)."""
        return await self.discover()

    async def discover(
        self, *, refresh: bool = False, on_result: Callable[[ProviderScan], None] | None = None
    ) -> list[ProviderScan]:
        """Scan due providers (all of them with `refresh`), concurrently."""
        self._index = None
        try:
            return await self.catalog.discover(refresh=refresh, on_result=on_result)
        finally:
            self._index = None

    async def refresh_models(self) -> list[ProviderScan]:
        """Rescan every provider now, ignoring the cache."""
        return await self.discover(refresh=True)

    def models(
        self,
        *,
        free_only: bool = False,
        capability: Capability | str | None = None,
        provider: str | None = None,
    ) -> list[ModelInfo]:
        """The catalog, filtered; no network."""
        wanted = Capability(capability) if capability is not None else None
        return [
            m
            for m in self._catalog_by_id().values()
            if (not free_only or m.free)
            and (wanted is None or wanted in m.capabilities)
            and (provider is None or m.provider == provider)
        ]

    def _catalog_index(self) -> CatalogIndex:
        """The catalog as read from the store, read again only after a discovery or
        when another process changed the scans (`neoclone discover` beside a running
        gateway), which is looked at once per `_INDEX_RECHECK_S`: decoding every model
        costs milliseconds, and even a pass over them tens of microseconds, which a
        request (naming its models, ranking them, adding the local model last) must not
        pay each time."""
        index, now = self._index, self._monotonic()
        if index is not None and now - index.checked_at < _INDEX_RECHECK_S:
            return index
        version = self.store.scans_version()
        if index is not None and index.version == version:
            self._index = attrs.evolve(index, checked_at=now)
        else:
            self._index = CatalogIndex.of(self.catalog.models(), version, now)
        return self._index

    def _catalog_by_id(self) -> dict[str, ModelInfo]:
        """The catalog by id, in id order (see `_catalog_index`)."""
        return self._catalog_index().by_id

    def model(self, model_id: str) -> ModelInfo:
        """The catalog entry for `model_id`; UnknownModelError with close matches if none."""
        models = self._catalog_by_id()
        if model_id in models:
            return models[model_id]
        import difflib

        close = difflib.get_close_matches(model_id, list(models), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        msg = f"unknown model {model_id!r}{hint} (see `neoclone models`)"
        raise UnknownModelError(msg)

    # -- score and select ----------------------------------------------------------------

    def analyse(self, text: str) -> TaskProfile:
        """The task profile of `text`, from the first analyser plugin that gives one."""
        profile = self.plugins.first_result("neoclone_analyse_task", {"text": text})
        return profile if isinstance(profile, TaskProfile) else TaskProfile(text=text)

    def rank(self, profile: TaskProfile, models: Sequence[ModelInfo] | None = None) -> Ranking:
        """Every model scored by every scoring plugin, best first (ties by id)."""
        candidates = list(self._catalog_by_id().values() if models is None else models)
        components: list[tuple[ScoreComponent, ...]] = [()] * len(candidates)
        kwargs = {
            "profile": profile,
            "models": candidates,
            "observations": self.engine.observations(),
            "settings": self.settings,
        }
        for plugin, result in self.plugins.calls("neoclone_score", kwargs):
            if result is None:
                continue
            if len(result) != len(candidates):
                msg = (
                    f"scoring plugin {plugin!r} returned {len(result)} scores"
                    f" for {len(candidates)} models"
                )
                raise PluginError(msg)
            # () + a tuple is that tuple: one plugin's components are not copied.
            components = [
                parts + tuple(extra) for parts, extra in zip(components, result, strict=True)
            ]
        # Ids and totals computed once each, not in every comparison of the sort.
        ids = [model.id for model in candidates]
        points = operator.attrgetter("points")
        totals = [sum(map(points, parts)) for parts in components]
        order = sorted(range(len(candidates)), key=ids.__getitem__)  # ties: by id
        order.sort(key=totals.__getitem__, reverse=True)  # stable, also when reversed
        return Ranking(candidates, ids, components, order)

    def plan(
        self,
        profile: TaskProfile,
        max_models: int = 5,
        *,
        ranked: Sequence[ScoredModel] | None = None,
    ) -> Plan:
        """The selection plugins' plan for `profile`, over `ranked` (the catalog ranked
        for `profile`, computed here unless given)."""
        kwargs = {
            "profile": profile,
            "ranked": self.rank(profile) if ranked is None else ranked,
            "max_models": max_models,
            "settings": self.settings,
        }
        plan = self.plugins.first_result("neoclone_select", kwargs)
        return plan if isinstance(plan, Plan) else Plan(models=())

    async def recommend(self, text: str, max_results: int = 5) -> list[Recommendation]:
        """The best free models for the task in `text`, with their scores explained."""
        profile = self.analyse(text)
        ranked = self.rank(profile)
        return recommendations(profile, self.plan(profile, max_results, ranked=ranked), ranked)

    # -- execute -------------------------------------------------------------------------

    async def create_session(
        self, name: str, primary_model: str, backup_models: Sequence[str] = ()
    ) -> Session:
        """A named plan of catalog ids; unknown ids are refused now, not at request time."""
        for model_id in (primary_model, *backup_models):
            self.model(model_id)
        session = Session(name, (primary_model, *backup_models))
        self.sessions[name] = session
        return session

    async def create_session_for_task(self, name: str, task: str, max_models: int = 5) -> Session:
        """A named session whose plan is the one selection makes for `task` (its
        primary and backups fixed now, so every request of the session runs the same)."""
        models = [m.id for m in self.plan(self.analyse(task), max_models).models]
        if not models:
            msg = f"no model of the catalog can serve the task of session {name!r}"
            raise NoModelAvailableError(msg, Route())
        return await self.create_session(name, models[0], models[1:])

    def plan_for(
        self,
        request: ChatRequest,
        models: Sequence[str] = (),
        session: str | None = None,
        *,
        profile: TaskProfile | None = None,
    ) -> Plan:
        """The plan a request runs: the named session's models, else `models` in order,
        else the plan made for its task (`profile`, analysed here unless given).

        Every execution path (`chat`, `stream`, `execute`, `neoclone run`) gets its plan
        here, so a rule for every plan (a last-resort model) belongs here.
        """
        if session is not None:
            models = self._session(session).model_ids
        if models:
            plan = Plan(models=tuple(self.model(m) for m in models))
        else:
            plan = self.plan(profile if profile is not None else self.analyse(request.text))
        return self._with_last_resort(plan)

    def _with_last_resort(self, plan: Plan) -> Plan:
        """`plan` ending with a local model, unless it has one or the config opts out:
        free tiers fail in bursts, the model on this machine is always there."""
        if not self.settings.local_fallback or any(
            m.provider == LOCAL_PROVIDER for m in plan.models
        ):
            return plan
        local = self._catalog_index().local
        if local is None:
            return plan
        reason = f"{local.id} added last: it runs on this machine, whatever the network"
        return Plan(models=(*plan.models, local), reasons=(*plan.reasons, reason))

    async def chat(
        self,
        request: str | ChatRequest | Mapping[str, Any],
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
        return await self.engine.execute(
            plan, chat_request, session=session or "", deadline_s=deadline_s
        )

    def stream(
        self,
        request: str | ChatRequest | Mapping[str, Any],
        *,
        models: Sequence[str] = (),
        session: str | None = None,
        deadline_s: float | None = None,
    ) -> ChatStream:
        """`request` streamed along the same plan as `chat` would run, with failover until
        the first chunk; open it with `async with` (an example is in `ChatStream`)."""
        chat_request = as_chat_request(request)
        plan = self.plan_for(chat_request, models, session)
        return self.engine.stream(plan, chat_request, session=session or "", deadline_s=deadline_s)

    async def execute(
        self, session_name: str, request: str | ChatRequest | Mapping[str, Any]
    ) -> tuple[ChatResponse, dict[str, Any]]:
        """Run `request` through a session's plan; returns the response and its route."""
        response, route = await self.chat(request, session=session_name)
        return response, route_stats(session_name, route)

    def _session(self, name: str) -> Session:
        session = self.sessions.get(name)
        if session is None:
            known = ", ".join(sorted(self.sessions)) or "none"
            msg = f"unknown session {name!r} (sessions: {known})"
            raise UnknownModelError(msg)
        return session

    # -- health --------------------------------------------------------------------------

    async def check_health(self, models: Sequence[str] | None = None) -> list[HealthReport]:
        """Probe `models` (default: every session's and every model called lately) once,
        each only if due and within its free-tier budget (see `HealthChecker`)."""
        return await HealthChecker(self.engine).check(self._watched(models))

    @asynccontextmanager
    async def health_monitor(
        self, models: Sequence[str] | None = None, *, interval_s: float = 300.0
    ) -> AsyncIterator[HealthChecker]:
        """Probe `models` in the background every `interval_s` while the block runs."""
        import anyio

        checker = HealthChecker(self.engine, interval_s)
        async with anyio.create_task_group() as group:
            group.start_soon(checker.run, lambda: self._watched(models))
            try:
                yield checker
            finally:
                group.cancel_scope.cancel()

    def _watched(self, models: Sequence[str] | None) -> list[ModelInfo]:
        if models is None:
            ids = {m for s in self.sessions.values() for m in s.model_ids}
            models = sorted(ids | set(self.engine.recorder.last_call_at))
        known = self._catalog_by_id()
        return [known[m] for m in models if m in known]

    # -- statistics ----------------------------------------------------------------------

    def catalog_stats(self) -> dict[str, Any]:
        """Totals over the catalog: models, free models, providers, capabilities, context."""
        models = self.models()
        contexts = [m.context_length for m in models if m.context_length]
        capabilities = Counter(c.value for m in models for c in m.capabilities)
        return {
            "total_models": len(models),
            "free_models": sum(m.free for m in models),
            "providers": dict(Counter(m.provider for m in models)),
            "capability_distribution": dict(sorted(capabilities.items())),
            "average_context_length": sum(contexts) / len(contexts) if contexts else None,
        }

    def cache_stats(self) -> CacheStats:
        """Freshness of the scan cache."""
        return self.catalog.stats()

    def stats(self) -> dict[str, Any]:
        """Per-model and per-session statistics (success rate, errors by kind, latency
        and time-to-first-token percentiles), and the breakers and cooldowns in force."""
        from neoclone_core._monitor import report

        return report(self.engine, self.sessions)

    def session_stats(self) -> dict[str, SessionStats]:
        """Each named session's statistics, from the store."""
        self.engine.recorder.flush()
        stored = self.engine.state.session_stats()
        return {name: stored.get(name, SessionStats(name)) for name in sorted(self.sessions)}

    # -- the seed's names ----------------------------------------------------------------

    async def get_model_recommendations(
        self, text: str, max_results: int = 5
    ) -> list[Recommendation]:
        """Alias of `recommend`."""
        return await self.recommend(text, max_results)

    async def create_orchestration_session(
        self, name: str, primary_model: str, backup_models: Sequence[str] = ()
    ) -> Session:
        """Alias of `create_session`."""
        return await self.create_session(name, primary_model, backup_models)

    async def execute_with_orchestration(
        self, session_name: str, requirements_or_request: str | ChatRequest | Mapping[str, Any]
    ) -> tuple[ChatResponse, dict[str, Any]]:
        """Alias of `execute`."""
        return await self.execute(session_name, requirements_or_request)

    def get_enhanced_stats(self) -> dict[str, Any]:
        """Alias of `catalog_stats`."""
        return self.catalog_stats()

    def get_cache_stats(self) -> dict[str, Any]:
        """`cache_stats()` as a dict, with the seed's keys (total_models, should_rescan)."""
        stats = self.cache_stats()
        return {**attrs.asdict(stats), "should_rescan": stats.should_rescan}

    def get_session_stats(self) -> dict[str, Any]:
        """Alias of `stats`."""
        return self.stats()


def recommendations(
    profile: TaskProfile, plan: Plan, ranked: Sequence[ScoredModel]
) -> list[Recommendation]:
    """The plan's models as recommendations, each with the score it was ranked by (the
    catalog is scored once: a plugin scoring relative to the others sees them all)."""
    return [
        Recommendation(rank, model, _score_of(ranked, model) or Score(model.id), profile)
        for rank, model in enumerate(plan.models, start=1)
    ]


def _score_of(ranked: Sequence[ScoredModel], model: ModelInfo) -> Score | None:
    """The score `model` was ranked by: looked up in a `Ranking` without building the
    others; in any other sequence, found by id."""
    if isinstance(ranked, Ranking):
        return ranked.score_of(model)
    return next((s.score for s in ranked if s.model.id == model.id), None)


def route_stats(session_name: str, route: Route) -> dict[str, Any]:
    """A route as the JSON-able stats dict `execute` returns."""
    return {
        "session": session_name,
        "served_by": route.served_by,
        "fallbacks": route.fallbacks,
        "retries": route.retries,
        "total_s": route.total_s,
        "attempts": [{**attrs.asdict(a), "outcome": a.outcome} for a in route.attempts],
    }


async def create_enhanced_model_discovery_module(
    settings: Settings | None = None, **kwargs: Any
) -> Neoclone:
    """The seed's entry point: a Neoclone instance, not yet initialized."""
    return Neoclone(settings, **kwargs)


class BlockingNeoclone:
    """`Neoclone` for synchronous host apps: the same methods, blocking.

    Runs an event loop in a worker thread (an anyio blocking portal); use it as a context
    manager, or call `close()`.
    """

    def __init__(self, settings: Settings | None = None, **kwargs: Any) -> None:
        import anyio.from_thread

        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self.neoclone: Neoclone = self._portal.call(lambda: _build(settings, kwargs))

    def __enter__(self) -> BlockingNeoclone:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the instance and stop the portal's thread."""
        self._portal.call(self.neoclone.aclose)
        self._portal_cm.__exit__(None, None, None)

    def initialize(self) -> list[ProviderScan]:
        """See `Neoclone.initialize`."""
        return self._portal.call(self.neoclone.initialize)

    def discover(self, *, refresh: bool = False) -> list[ProviderScan]:
        """See `Neoclone.discover`."""
        return self._portal.call(lambda: self.neoclone.discover(refresh=refresh))

    def models(self, **filters: Any) -> list[ModelInfo]:
        """See `Neoclone.models`."""
        return self.neoclone.models(**filters)

    def recommend(self, text: str, max_results: int = 5) -> list[Recommendation]:
        """See `Neoclone.recommend`."""
        return self._portal.call(self.neoclone.recommend, text, max_results)

    def chat(
        self, request: str | ChatRequest | Mapping[str, Any], *, models: Sequence[str] = ()
    ) -> tuple[ChatResponse, Route]:
        """See `Neoclone.chat`."""
        return self._portal.call(lambda: self.neoclone.chat(request, models=models))


async def _build(settings: Settings | None, kwargs: Mapping[str, Any]) -> Neoclone:
    return Neoclone(settings, **kwargs)
