"""Fixtures for the GitHub Models provider's tests: both anyio backends, the recording
server and an HTTP client (the core's tests/ package is not imported)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from neoclone_core.testing import RecordingServer


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs on both backends anyio supports."""
    return str(request.param)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # Plain HTTP to 127.0.0.1 only: not loading the CA bundle saves ~50 ms per test.
    async with httpx.AsyncClient(verify=False) as client:
        yield client
