"""The catalog as a running instance reads it: an index made once per discovery
(`CatalogIndex`, `CatalogReader`), and its totals.

Decoding every model from the store costs milliseconds and even a pass over them tens of
microseconds, which a request (naming its models, ranking them, ending its plan with the
local model) must not pay each time. The index is read again after a discovery, or when
another process changed the scans (its `version` moved).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from typing import Any

import attrs

from neoclone_core.discover.catalog import Catalog
from neoclone_core.errors import UnknownModelError
from neoclone_core.models import Capability, ModelInfo

RECHECK_S = 1.0  # how stale another process's scans may look to a running instance


@attrs.frozen
class CatalogIndex:
    """The catalog as the store held it at `version`: every model by id (in id order), and
    the first model of a last-resort provider, which ends every plan unless the config
    opts out."""

    by_id: dict[str, ModelInfo]
    last_resort: ModelInfo | None
    version: int  # the store's `scans_version` when read
    checked_at: float  # monotonic time the version was last compared with the store's

    @classmethod
    def of(
        cls,
        models: Sequence[ModelInfo],
        version: int,
        now: float,
        last_resort_providers: Collection[str] = (),
    ) -> CatalogIndex:
        """The index of `models`; `last_resort_providers` name the providers whose models
        run on this machine."""
        local = next((m for m in models if m.provider in last_resort_providers), None)
        return cls({m.id: m for m in models}, local, version, now)


@attrs.define
class CatalogReader:
    """The catalog as one instance reads it: an index kept until a discovery, or until
    the store's scans version moves (looked at once per `RECHECK_S`)."""

    catalog: Catalog
    monotonic: Callable[[], float]
    _index: CatalogIndex | None = None

    def invalidate(self) -> None:
        """Read the catalog again on next use (a discovery is running or ended)."""
        self._index = None

    def index(self) -> CatalogIndex:
        """The catalog index, read again only when it may have changed."""
        index, now = self._index, self.monotonic()
        if index is not None and now - index.checked_at < RECHECK_S:
            return index
        version = self.catalog.store.scans_version()
        if index is not None and index.version == version:
            self._index = attrs.evolve(index, checked_at=now)
        else:
            models = self.catalog.models()
            self._index = CatalogIndex.of(models, version, now, self.catalog.last_resort)
        return self._index

    def filtered(
        self,
        *,
        free_only: bool = False,
        capability: Capability | str | None = None,
        provider: str | None = None,
    ) -> list[ModelInfo]:
        """The catalog's models that pass every filter given, in id order."""
        wanted = Capability(capability) if capability is not None else None
        return [
            m
            for m in self.index().by_id.values()
            if (not free_only or m.free)
            and (wanted is None or wanted in m.capabilities)
            and (provider is None or m.provider == provider)
        ]

    def model(self, model_id: str) -> ModelInfo:
        """The catalog entry for `model_id`; UnknownModelError with close matches if none."""
        models = self.index().by_id
        if model_id in models:
            return models[model_id]
        close = difflib.get_close_matches(model_id, list(models), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        msg = f"unknown model {model_id!r}{hint} (see `neoclone models`)"
        raise UnknownModelError(msg)


def catalog_totals(models: Sequence[ModelInfo]) -> dict[str, Any]:
    """Totals over `models`: how many, how many free, per provider, per capability, and
    the average context length (of those that state one)."""
    contexts = [m.context_length for m in models if m.context_length]
    capabilities = Counter(c.value for m in models for c in m.capabilities)
    return {
        "total_models": len(models),
        "free_models": sum(m.free for m in models),
        "providers": dict(Counter(m.provider for m in models)),
        "capability_distribution": dict(sorted(capabilities.items())),
        "average_context_length": sum(contexts) / len(contexts) if contexts else None,
    }
