"""Scans shared between instances: one instance's fresh scan spares the others theirs,
one's failures back the provider off for all, and a shared cache that fails is skipped.

The instances here share a real SQLite file as their engine state: the embedded `Store`
is itself a `ScanCache`, so these tests need no Redis (the Redis plugin's tests run the
same behaviour on a real redis-server).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from neoclone_core import ScanCache, ScanState, ScanStatus, Settings, Source
from neoclone_core.errors import ProviderUnavailableError
from neoclone_core.state.scan_cache import merge_scan
from neoclone_core.state.store import Store
from tests.support import FakeProvider, ManualClock, NewNeoclone, make_neoclone

DAY = 86400.0


def scan(success: float | None, attempt: float | None, failures: int = 0) -> ScanState:
    retry = None if failures == 0 or attempt is None else attempt + 60
    error = "down" if failures else ""
    return ScanState("p", success, attempt, failures, retry, error, 3 if success else 0)


def test_the_embedded_store_is_a_scan_cache() -> None:
    assert issubclass(Store, ScanCache)


@pytest.mark.parametrize(
    ("ours", "theirs", "expected", "take_models"),
    [
        (scan(10, 10), None, None, False),  # nothing shared
        (scan(10, 10), scan(10, 10), None, False),  # the same scan
        (scan(20, 20), scan(10, 10), None, False),  # ours is newer
        (None, scan(10, 10), scan(10, 10), True),  # never scanned here
        (None, scan(None, 10, 1), scan(None, 10, 1), False),  # only a failure there
        (scan(10, 10), scan(20, 20), scan(20, 20), True),  # a newer success there
        # a newer failure there: its count and retry, our success and models
        (scan(10, 10), scan(5, 20, 2), attrs.evolve(scan(5, 20, 2), last_success_at=10), False),
        # their success is newer, our later failure still counts
        (scan(5, 30, 1), scan(20, 20), attrs.evolve(scan(5, 30, 1), last_success_at=20), True),
    ],
)
def test_the_newer_attempt_sets_failures_and_the_newer_success_sets_the_models(
    ours: ScanState | None,
    theirs: ScanState | None,
    expected: ScanState | None,
    take_models: bool,
) -> None:
    merge = merge_scan(ours, theirs)
    if expected is None:
        assert merge is None
        return
    assert merge is not None
    assert merge.state.failures == expected.failures
    assert merge.state.next_retry_at == expected.next_retry_at
    assert merge.state.last_attempt_at == expected.last_attempt_at
    assert merge.state.last_success_at == expected.last_success_at
    assert merge.take_models is take_models


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "shared" / "store.sqlite3")
    yield store
    store.close()


def at_home(settings: Settings, name: str) -> Settings:
    return attrs.evolve(settings, home=settings.home / name)


@pytest.mark.anyio
async def test_a_fresh_scan_by_one_instance_is_not_repeated_by_another(
    settings: Settings, clock: ManualClock, shared: Store
) -> None:
    provider = FakeProvider("alpha")
    one = make_neoclone(at_home(settings, "one"), clock, provider, state=shared)
    two = make_neoclone(at_home(settings, "two"), clock, provider, state=shared)
    async with one, two:
        (first,) = await one.discover()
        clock.advance(DAY)
        (second,) = await two.discover()
        assert (first.status, second.status) == (ScanStatus.SCANNED, ScanStatus.FRESH)
        assert provider.discover_calls == 1
        assert [m.id for m in two.models()] == ["alpha/m1", "alpha/m2:free"]
        assert {m.source for m in two.models()} == {Source.CACHE}  # scanned elsewhere
        clock.advance(7 * DAY)  # the shared scan is stale for every instance
        (third,) = await two.discover()
        assert third.status is ScanStatus.SCANNED
        assert provider.discover_calls == 2


@pytest.mark.anyio
async def test_failures_are_counted_across_instances_and_back_off_for_all(
    settings: Settings, clock: ManualClock, shared: Store
) -> None:
    provider = FakeProvider("flaky", fail_with=ProviderUnavailableError("down"))
    one = make_neoclone(at_home(settings, "one"), clock, provider, state=shared)
    two = make_neoclone(at_home(settings, "two"), clock, provider, state=shared)
    async with one, two:
        (failed,) = await one.discover()
        (waiting,) = await two.discover()
        assert (failed.status, waiting.status) == (ScanStatus.FAILED, ScanStatus.BACKING_OFF)
        assert provider.discover_calls == 1
        clock.advance(60)
        (failed_again,) = await two.discover()  # the second failure of all, made here
        assert failed_again.status is ScanStatus.FAILED
        state = one._store.scan_state("flaky")
        assert state is not None and state.failures == 1  # before it looks again
        (waiting,) = await one.discover()
        assert waiting.status is ScanStatus.BACKING_OFF
        state = one._store.scan_state("flaky")
        assert state is not None and state.failures == 2
        assert state.next_retry_at == clock.now + 120
        assert provider.discover_calls == 2


@pytest.mark.anyio
async def test_a_shared_cache_that_fails_is_skipped_and_discovery_runs_locally(
    shared: Store, new_neoclone: NewNeoclone
) -> None:
    provider = FakeProvider("alpha")
    shared.close()  # every call now raises StoreError
    async with new_neoclone(provider, state=shared) as neoclone:
        (result,) = await neoclone.discover()
        assert result.status is ScanStatus.SCANNED
        assert [m.id for m in neoclone.models()] == ["alpha/m1", "alpha/m2:free"]
        (again,) = await neoclone.discover()
        assert again.status is ScanStatus.FRESH
    assert provider.discover_calls == 1


@pytest.mark.anyio
async def test_a_shared_scan_whose_models_are_gone_does_not_empty_the_local_catalog(
    settings: Settings, clock: ManualClock, shared: Store, tmp_path: Path
) -> None:
    provider = FakeProvider("alpha")
    one = make_neoclone(at_home(settings, "one"), clock, provider, state=shared)
    two = make_neoclone(at_home(settings, "two"), clock, provider, state=shared)
    async with one, two:
        await two.discover()  # two has its own scan
        clock.advance(DAY)
        await one.refresh_models()  # a newer one in the shared cache...
        conn = sqlite3.connect(tmp_path / "shared" / "store.sqlite3")
        with conn:
            conn.execute("DELETE FROM models")  # ...whose models were then lost
        conn.close()
        clock.advance(1)
        (result,) = await two.discover()
        assert result.status is ScanStatus.FRESH  # its own scan, within the TTL
        assert [m.id for m in two.models()] == ["alpha/m1", "alpha/m2:free"]
