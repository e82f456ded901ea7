"""Shared fixtures: a throwaway home for the store, a manual clock, and (as every provider
plugin's tests have them, from `neoclone_core.pytest_plugin`) both async backends, the
recording server, an HTTP client like the core's and the captured log events."""

from __future__ import annotations

from pathlib import Path

import pytest

from neoclone_core import Settings
from neoclone_core.config import CacheSettings
from neoclone_core.pytest_plugin import anyio_backend, captured, http, server  # noqa: F401
from tests.support import ManualClock


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
