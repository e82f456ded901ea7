"""A real redis-server for the plugin's tests (skipped only when the binary is missing:
CI installs it), and a fresh `RedisState` on it for each test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from neoclone_store_redis import RedisState
from neoclone_store_redis.testing import RedisServer, running_redis_server

from neoclone_core.pytest_plugin import captured

__all__ = ["captured", "redis_server", "state"]
_prefixes = itertools.count()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis_server()


@pytest.fixture
def state(redis_server: RedisServer) -> Iterator[RedisState]:
    """A state under a prefix of its own, so tests sharing the server never meet."""
    made = RedisState.connect(redis_server.url, prefix=f"test{next(_prefixes)}:")
    yield made
    made.close()
