"""`Neoclone`: the one object a host application uses, and the seed's names for it.

It wires the stages together (plugins, catalog, scoring, selection, engine) over one
store and one HTTP client. Methods that do I/O are async; `BlockingNeoclone` runs
the same object from synchronous code through an anyio portal.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs

from neoclone_core._catalog import CacheStats, Catalog, ProviderScan
from neoclone_core._config import Settings, load_settings
from neoclone_core._engine import Engine
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
from neoclone_core._store import Store
from neoclone_core._user_agent import user_agent
from neoclone_core.errors import PluginError, UnknownModelError

if TYPE_CHECKING:
    import httpx

STORE_FILE = "neoclone.sqlite3"


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


@attrs.define
class SessionStats:
    """What one session's requests came to."""

    requests: int = 0
    successes: int = 0
    failures: int = 0
    fallbacks: int = 0
    total_s: float = 0.0
    served_by: Counter[str] = attrs.field(factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary."""
        return {
            "requests": self.requests,
            "successes": self.successes,
            "failures": self.failures,
            "success_rate": self.successes / self.requests if self.requests else None,
            "fallbacks": self.fallbacks,
            "average_s": self.total_s / self.requests if self.requests else None,
            "served_by": dict(self.served_by),
        }


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


class Neoclone:
    """Discovery, recommendation and execution over every installed plugin.

    Build it with `await Neoclone.open()` (or the seed's
    `create_enhanced_model_discovery_module()`), or directly and then `await initialize()`.
    Close it with `await aclose()` or `async with`.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        plugins: Plugins | None = None,
        clock: Callable[[], float] = time.time,
        env: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        import httpx  # here, not at module level: it is the costliest import of all

        self.settings = settings if settings is not None else load_settings()
        self.plugins = plugins or build_plugins(disabled=self.settings.disabled_plugins)
        self.clock = clock
        self.store = Store(self.settings.home / STORE_FILE)
        self.http = httpx.AsyncClient(
            transport=transport, follow_redirects=True, headers={"User-Agent": user_agent()}
        )
        self.catalog = Catalog(
            self.store,
            self.plugins,
            self.plugins.providers(),
            self.settings,
            self.http,
            clock,
            env if env is not None else os.environ,
        )
        self.engine = Engine(self.catalog, self.plugins, self.store, clock)
        self.sessions: dict[str, Session] = {}
        self.session_stats: dict[str, SessionStats] = {}

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
        """Close the HTTP client and the store."""
        await self.http.aclose()
        self.store.close()

    # -- discover ------------------------------------------------------------------------

    async def initialize(self) -> list[ProviderScan]:
        """Scan the providers that are due (never scanned, or older than the TTL)."""
        return await self.catalog.discover()

    async def discover(
        self, *, refresh: bool = False, on_result: Callable[[ProviderScan], None] | None = None
    ) -> list[ProviderScan]:
        """Scan due providers (all of them with `refresh`), concurrently."""
        return await self.catalog.discover(refresh=refresh, on_result=on_result)

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
            for m in self.catalog.models()
            if (not free_only or m.free)
            and (wanted is None or wanted in m.capabilities)
            and (provider is None or m.provider == provider)
        ]

    def model(self, model_id: str) -> ModelInfo:
        """The catalog entry for `model_id`; UnknownModelError with close matches if none."""
        models = {m.id: m for m in self.catalog.models()}
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

    def rank(
        self, profile: TaskProfile, models: Sequence[ModelInfo] | None = None
    ) -> list[ScoredModel]:
        """Every model scored by every scoring plugin, best first (ties by id)."""
        candidates = list(self.catalog.models() if models is None else models)
        components: list[list[ScoreComponent]] = [[] for _ in candidates]
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
            for parts, extra in zip(components, result, strict=True):
                parts.extend(extra)
        scored = [
            ScoredModel(model, Score(model.id, tuple(parts)))
            for model, parts in zip(candidates, components, strict=True)
        ]
        return sorted(scored, key=lambda s: (-s.score.total, s.model.id))

    def plan(self, profile: TaskProfile, max_models: int = 5) -> Plan:
        """The selection plugins' plan for `profile`."""
        kwargs = {
            "profile": profile,
            "ranked": self.rank(profile),
            "max_models": max_models,
            "settings": self.settings,
        }
        plan = self.plugins.first_result("neoclone_select", kwargs)
        return plan if isinstance(plan, Plan) else Plan(models=())

    async def recommend(self, text: str, max_results: int = 5) -> list[Recommendation]:
        """The best free models for the task in `text`, with their scores explained."""
        profile = self.analyse(text)
        plan = self.plan(profile, max_results)
        scores = {s.model.id: s.score for s in self.rank(profile, plan.models)}
        return [
            Recommendation(rank, model, scores[model.id], profile)
            for rank, model in enumerate(plan.models, start=1)
        ]

    # -- execute -------------------------------------------------------------------------

    async def create_session(
        self, name: str, primary_model: str, backup_models: Sequence[str] = ()
    ) -> Session:
        """A named plan of catalog ids; unknown ids are refused now, not at request time."""
        for model_id in (primary_model, *backup_models):
            self.model(model_id)
        session = Session(name, (primary_model, *backup_models))
        self.sessions[name] = session
        self.session_stats.setdefault(name, SessionStats())
        return session

    async def chat(
        self,
        request: str | ChatRequest | Mapping[str, Any],
        *,
        models: Sequence[str] = (),
    ) -> tuple[ChatResponse, Route]:
        """Run `request` on `models` in order, or on the plan made for its task."""
        chat_request = as_chat_request(request)
        if models:
            plan = Plan(models=tuple(self.model(m) for m in models))
        else:
            plan = self.plan(self.analyse(chat_request.text))
        return await self.engine.execute(plan, chat_request)

    async def execute(
        self, session_name: str, request: str | ChatRequest | Mapping[str, Any]
    ) -> tuple[ChatResponse, dict[str, Any]]:
        """Run `request` through a session's plan; returns the response and its route."""
        session = self.sessions.get(session_name)
        if session is None:
            known = ", ".join(sorted(self.sessions)) or "none"
            msg = f"unknown session {session_name!r} (sessions: {known})"
            raise UnknownModelError(msg)
        stats = self.session_stats[session_name]
        with _counting(stats) as record:
            response, route = await self.chat(request, models=session.model_ids)
            record(route)
        return response, route_stats(session_name, route)

    # -- statistics ----------------------------------------------------------------------

    def catalog_stats(self) -> dict[str, Any]:
        """Totals over the catalog: models, free models, providers, capabilities, context."""
        models = self.catalog.models()
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
        """Per-model and per-session statistics."""
        return {
            "models": {
                model_id: {
                    "successes": s.successes,
                    "failures": s.failures,
                    "success_rate": s.success_rate,
                    "errors_by_kind": dict(s.errors_by_kind),
                    "latency_p50_s": s.latency_p50_s,
                    "latency_p95_s": s.latency_p95_s,
                }
                for model_id, s in sorted(self.store.model_stats().items())
            },
            "sessions": {name: s.as_dict() for name, s in sorted(self.session_stats.items())},
        }

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


@contextmanager
def _counting(stats: SessionStats) -> Iterator[Callable[[Route], None]]:
    """Count one request into `stats`: a success when `record(route)` was called."""
    stats.requests += 1
    recorded: list[Route] = []
    try:
        yield recorded.append
    finally:
        if recorded:
            stats.successes += 1
            stats.fallbacks += recorded[0].fallbacks
            stats.total_s += recorded[0].total_s
            stats.served_by[recorded[0].served_by or ""] += 1
        else:
            stats.failures += 1


def route_stats(session_name: str, route: Route) -> dict[str, Any]:
    """A route as the JSON-able stats dict `execute` returns."""
    return {
        "session": session_name,
        "served_by": route.served_by,
        "fallbacks": route.fallbacks,
        "total_s": route.total_s,
        "attempts": [attrs.asdict(a) for a in route.attempts],
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
