"""`RedisState` as the catalog's shared scan cache, against a real redis-server: the
embedded store's answers for the same scans, failures counted across clients, foreign
values skipped."""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from neoclone_store_redis import RedisState
from neoclone_store_redis.testing import RedisServer

from neoclone_core import ModelInfo, ScanCache
from neoclone_core.state.store import Store

T0 = 1_700_000_000.0
MODELS = [
    ModelInfo("p", "b:free", free=True, context_length=8192, capabilities={"text", "code"}),
    ModelInfo("p", "a", context_length=None, discovered_at=T0),
]


def backoff(failures: int) -> float:
    return 60.0 * 2 ** (failures - 1)


def test_a_redis_state_is_a_scan_cache(state: RedisState) -> None:
    assert isinstance(state, ScanCache)


def test_scans_read_back_as_the_embedded_store_reads_them(
    state: RedisState, tmp_path: Path
) -> None:
    assert state.scan_state("p") is None
    assert state.models("p") == []
    with Store(tmp_path / "store.sqlite3") as sqlite:
        for cache in (state, sqlite):
            cache.record_scan_success("p", MODELS, T0)
            cache.record_scan_success("q", MODELS[:1], T0 + 1)
            cache.record_scan_failure("p", "HTTPStatusError: 503", T0 + 10, backoff)
        assert state.scan_state("p") == sqlite.scan_state("p")
        assert state.scan_state("q") == sqlite.scan_state("q")
        assert state.models("p") == sqlite.models("p")
        assert state.models() == sqlite.models()
    assert [m.id for m in state.models("p")] == ["p/a", "p/b:free"]  # kept through a failure


def test_failures_recorded_by_two_clients_are_all_counted(
    state: RedisState, redis_server: RedisServer
) -> None:
    other = RedisState.connect(redis_server.url, prefix=state.prefix)
    state.record_scan_failure("p", "down", T0, backoff)
    counted = other.record_scan_failure("p", "still down", T0 + 60, backoff)
    other.close()
    assert counted.failures == 2
    assert counted.next_retry_at == T0 + 60 + 120
    assert state.scan_state("p") == counted
    success = state.record_scan_success("p", MODELS, T0 + 200)
    assert (success.failures, success.next_retry_at, success.model_count) == (0, None, 2)


def test_catalog_values_that_are_not_ours_are_skipped_with_a_warning(
    state: RedisState, redis_server: RedisServer, captured: list[MutableMapping[str, Any]]
) -> None:
    state.record_scan_success("p", MODELS, T0)
    state.record_scan_success("q", MODELS, T0)
    with redis_server.client() as client:
        client.set(state.prefix + "catalog:q", "not json at all")
        client.hset(state.prefix + "scans", "r", '["weird"]')
        client.set(state.prefix + "catalog:r", '[{"provider": "r", "name": "ok"}, {"x": 1}]')
    assert state.scan_state("r") is None
    assert [m.id for m in state.models()] == ["p/a", "p/b:free", "r/ok"]
    skipped = [e["reason"] for e in captured if e["event"] == "neoclone.store_entry_skipped"]
    assert len(skipped) == 3  # the scan state, the catalog that is not JSON, one item
