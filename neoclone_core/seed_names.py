"""The seed's names for `Neoclone`'s methods, kept so that code written against the seed
runs unchanged: each is an alias of a documented method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

if TYPE_CHECKING:
    from neoclone_core.config import Settings
    from neoclone_core.discover.catalog import CacheStats, ProviderScan
    from neoclone_core.facade import Neoclone
    from neoclone_core.models import ChatRequest, ChatResponse, Route
    from neoclone_core.select.plan import Recommendation
    from neoclone_core.select.sessions import Session


class _Documented(Protocol):
    """The documented methods the aliases stand for."""

    async def discover(self, *, refresh: bool = False) -> list[ProviderScan]: ...

    async def recommend(self, text: str, max_results: int = 5) -> list[Recommendation]: ...

    async def create_session(
        self, name: str, primary_model: str, backup_models: Sequence[str] = ()
    ) -> Session: ...

    async def chat(
        self, request: str | ChatRequest | Mapping[str, Any], *, session: str | None = None
    ) -> tuple[ChatResponse, Route]: ...

    def catalog_stats(self) -> dict[str, Any]: ...

    def cache_stats(self) -> CacheStats: ...

    def stats(self) -> dict[str, Any]: ...

    def quota(self) -> dict[str, Any]: ...


class SeedNames:
    """The seed's method names, as aliases (mixed into `Neoclone`)."""

    async def initialize(self: _Documented) -> list[ProviderScan]:
        """Scan the providers that are due (never scanned, or older than the TTL)."""
        return await self.discover()

    async def execute(
        self: _Documented, session_name: str, request: str | ChatRequest | Mapping[str, Any]
    ) -> tuple[ChatResponse, dict[str, Any]]:
        """Run `request` through a session's plan; the response and its route as a dict."""
        response, route = await self.chat(request, session=session_name)
        return response, {"session": session_name, **route.as_dict()}

    async def refresh_models(self: _Documented) -> list[ProviderScan]:
        """Rescan every provider now, ignoring the cache."""
        return await self.discover(refresh=True)

    async def get_model_recommendations(
        self: _Documented, text: str, max_results: int = 5
    ) -> list[Recommendation]:
        """Alias of `recommend`."""
        return await self.recommend(text, max_results)

    async def create_orchestration_session(
        self: _Documented, name: str, primary_model: str, backup_models: Sequence[str] = ()
    ) -> Session:
        """Alias of `create_session`."""
        return await self.create_session(name, primary_model, backup_models)

    async def execute_with_orchestration(
        self: _Documented,
        session_name: str,
        requirements_or_request: str | ChatRequest | Mapping[str, Any],
    ) -> tuple[ChatResponse, dict[str, Any]]:
        """Alias of `execute`."""
        return await SeedNames.execute(self, session_name, requirements_or_request)

    def get_enhanced_stats(self: _Documented) -> dict[str, Any]:
        """`catalog_stats`, with what is left of the free-tier quotas under `quota`."""
        return {**self.catalog_stats(), "quota": self.quota()}

    def get_cache_stats(self: _Documented) -> dict[str, Any]:
        """`cache_stats()` as a dict, with the seed's keys (total_models, should_rescan)."""
        stats = self.cache_stats()
        return {**attrs.asdict(stats), "should_rescan": stats.should_rescan}

    def get_session_stats(self: _Documented) -> dict[str, Any]:
        """Alias of `stats`."""
        return self.stats()


async def create_enhanced_model_discovery_module(
    settings: Settings | None = None, **kwargs: Any
) -> Neoclone:
    """The seed's entry point: a Neoclone instance, not yet initialized."""
    from neoclone_core.facade import Neoclone

    return Neoclone(settings, **kwargs)
