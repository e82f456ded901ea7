"""Shared fixtures: a throwaway home for the store, a manual clock, both async backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from neoclone_core import Settings
from neoclone_core._config import CacheSettings
from tests.support import ManualClock


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs on both backends anyio supports."""
    return str(request.param)


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
