"""Shared fixtures: a throwaway home for the store, a manual clock, and (as every provider
plugin's tests have them, from `neoclone_core.pytest_plugin`) both async backends, the
recording server, an HTTP client like the core's and the captured log events."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from neoclone_core import Neoclone, Settings
from neoclone_core.config import CacheSettings
from neoclone_core.pytest_plugin import anyio_backend, captured, http, server  # noqa: F401
from tests.support import ManualClock, NewNeoclone, OpenedNeoclone, make_neoclone


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "home",
        discovery_timeout=2.0,
        request_timeout=2.0,
        cache=CacheSettings(
            ttl_seconds=7 * 86400, backoff_base_seconds=60, backoff_cap_seconds=3600
        ),
    )


@pytest.fixture
def new_neoclone(settings: Settings, clock: ManualClock) -> NewNeoclone:
    """A builder of Neoclones with the default policies and the providers given, on this
    test's settings (unless `settings=` says otherwise) and hand-moved clock."""

    def new(*providers: object, settings: Settings = settings, **options: Any) -> Neoclone:
        return make_neoclone(settings, clock, *providers, **options)

    return new  # type: ignore[return-value]


@pytest.fixture
def opened_neoclone(settings: Settings, clock: ManualClock) -> OpenedNeoclone:
    """`new_neoclone` as an async context: initialized (its providers' models listed),
    closed at the end, its backoff jitter a fixed draw unless `rng` says otherwise."""

    @contextlib.asynccontextmanager
    async def opened(
        *providers: object, settings: Settings = settings, **options: Any
    ) -> AsyncIterator[Neoclone]:
        options.setdefault("rng", lambda: 0.5)
        async with make_neoclone(settings, clock, *providers, **options) as neoclone:
            await neoclone.initialize()
            yield neoclone

    return opened  # type: ignore[return-value]
