"""pytest fixtures for provider plugin tests. A plugin's conftest.py imports the ones
its tests use::

    from neoclone_core.pytest_plugin import anyio_backend, captured, http, server

    __all__ = ["anyio_backend", "captured", "http", "server"]

or `pytest -p neoclone_core.pytest_plugin` loads them all. Installing neoclone does not
register them (there is no `pytest11` entry point): an application that depends on
neoclone keeps its own fixtures and async backends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import httpx
import pytest
import structlog

from neoclone_core.testing import RecordingServer, local_http_client

__all__ = ["anyio_backend", "captured", "http", "server"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs on both backends anyio supports."""
    return str(request.param)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    """A RecordingServer on 127.0.0.1, stopped when the test ends."""
    with RecordingServer() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client like the one neoclone shares with providers (`local_http_client`)."""
    async with local_http_client() as client:
        yield client


@pytest.fixture
def captured() -> Iterator[list[MutableMapping[str, Any]]]:
    """The structlog events logged during the test, each a dict with `event`,
    `log_level` and its key-value context."""
    with structlog.testing.capture_logs() as logs:
        yield logs
