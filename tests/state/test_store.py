"""The embedded store: catalog cache, scan state, counters, attempt stats, and recovery."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import structlog

from neoclone_core.errors import StoreError
from neoclone_core.models import Capability, ModelInfo, Pricing, RateLimit, Source
from neoclone_core.state.sqlite_file import APPLICATION_ID, SCHEMA_VERSION
from neoclone_core.state.store import ModelStats, ScanState, Store


def model(provider: str, name: str, **kwargs: Any) -> ModelInfo:
    return ModelInfo(provider=provider, name=name, **kwargs)


def no_backoff(failures: int) -> float:
    return 0.0


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "neoclone.db"


@pytest.fixture
def store(path: Path) -> Iterator[Store]:
    with Store(path) as opened:
        yield opened


def corrupt_files(path: Path) -> list[Path]:
    """The damaged files moved aside, without their -wal/-shm/-journal sidecars."""
    moved = path.parent.glob(f"{path.name}.corrupt-*")
    return sorted(p for p in moved if not p.name.endswith(("-wal", "-shm", "-journal")))


def recovered_events(logs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [e for e in logs if e["event"] == "neoclone.store_recovered"]


# -- scans and models -----------------------------------------------------------------


def test_models_round_trip_through_a_successful_scan(store: Store) -> None:
    rich = model(
        "groq",
        "llama-3.3-70b",
        display_name="Llama 3.3 70B",
        context_length=131072,
        capabilities={Capability.TEXT, Capability.CODE, Capability.TOOLS},
        pricing=Pricing(0, 0),
        free=True,
        rate_limit=RateLimit(30, 14400, 6000),
        source=Source.LIVE,
        discovered_at=1700000000.5,
    )
    plain = model("groq", "gemma2-9b")

    store.record_scan_success("groq", [rich, plain], at=100.0)

    assert store.models("groq") == [plain, rich]


def test_models_are_ordered_by_id_across_providers(store: Store) -> None:
    store.record_scan_success("b", [model("b", "z"), model("b", "a")], at=1.0)
    store.record_scan_success("a", [model("a", "m")], at=1.0)

    assert [m.id for m in store.models()] == ["a/m", "b/a", "b/z"]


def test_a_new_scan_replaces_only_that_providers_models(store: Store) -> None:
    store.record_scan_success("groq", [model("groq", "old-1"), model("groq", "old-2")], at=1.0)
    store.record_scan_success("cerebras", [model("cerebras", "kept")], at=1.0)

    state = store.record_scan_success("groq", [model("groq", "new")], at=2.0)

    assert [m.id for m in store.models()] == ["cerebras/kept", "groq/new"]
    assert state.model_count == 1


def test_a_scan_with_no_models_empties_the_providers_cache(store: Store) -> None:
    store.record_scan_success("groq", [model("groq", "a")], at=1.0)

    store.record_scan_success("groq", [], at=2.0)

    assert store.models("groq") == []
    assert store.scan_state("groq") == ScanState("groq", 2.0, 2.0, 0, None, "", 0)


def test_scan_state_is_none_for_a_provider_never_scanned(store: Store) -> None:
    assert store.scan_state("nobody") is None
    assert store.scan_states() == {}


def test_failures_count_up_and_schedule_the_retry_with_the_backoff(store: Store) -> None:
    asked: list[int] = []

    def backoff(failures: int) -> float:
        asked.append(failures)
        return 60.0 * failures

    store.record_scan_failure("groq", "HTTP 503", at=1000.0, backoff=backoff)
    state = store.record_scan_failure("groq", "timeout", at=2000.0, backoff=backoff)

    assert asked == [1, 2]
    assert state == ScanState(
        provider="groq",
        last_success_at=None,
        last_attempt_at=2000.0,
        failures=2,
        next_retry_at=2120.0,
        last_error="timeout",
        model_count=0,
    )
    assert store.scan_state("groq") == state


def test_success_resets_failures_retry_and_error(store: Store) -> None:
    store.record_scan_failure("groq", "HTTP 503", at=10.0, backoff=lambda n: 30.0)

    state = store.record_scan_success("groq", [model("groq", "a")], at=20.0)

    assert state == ScanState("groq", 20.0, 20.0, 0, None, "", 1)
    assert store.scan_state("groq") == state


def test_cached_models_survive_a_failed_scan(store: Store) -> None:
    cached = [model("groq", "a"), model("groq", "b")]
    store.record_scan_success("groq", cached, at=10.0)

    state = store.record_scan_failure("groq", "HTTP 500", at=20.0, backoff=no_backoff)

    assert store.models("groq") == cached
    assert state.last_success_at == 10.0
    assert state.model_count == 2
    assert state.failures == 1


def test_scan_states_lists_every_provider(store: Store) -> None:
    store.record_scan_success("a", [], at=1.0)
    store.record_scan_failure("b", "down", at=2.0, backoff=no_backoff)

    assert set(store.scan_states()) == {"a", "b"}
    assert store.scan_states()["b"].last_error == "down"


def test_clear_cache_drops_scans_and_models_but_keeps_counters_and_stats(store: Store) -> None:
    store.record_scan_success("groq", [model("groq", "a")], at=1.0)
    store.add_counter("requests")
    store.record_attempt("groq/a", ok=True, duration_s=0.5, at=1.0)

    store.clear_cache()

    assert store.models() == []
    assert store.scan_states() == {}
    assert store.counters() == {"requests": 1}
    assert set(store.model_stats()) == {"groq/a"}


def test_data_persists_across_reopening(path: Path) -> None:
    with Store(path) as first:
        first.record_scan_success("groq", [model("groq", "a")], at=1.0)
        first.add_counter("requests", 3)

    with Store(path) as second:
        assert [m.id for m in second.models()] == ["groq/a"]
        assert second.counters() == {"requests": 3}


def test_an_undecodable_model_row_is_skipped_with_a_warning(store: Store) -> None:
    store.record_scan_success("groq", [model("groq", "good"), model("groq", "bad")], at=1.0)
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE models SET data = '{not json' WHERE id = 'groq/bad'")
    conn.close()

    with structlog.testing.capture_logs() as logs:
        models = store.models()

    assert [m.id for m in models] == ["groq/good"]
    skipped = [e for e in logs if e["event"] == "neoclone.store_model_skipped"]
    assert len(skipped) == 1
    assert skipped[0]["model"] == "groq/bad"
    assert skipped[0]["log_level"] == "warning"


# -- counters and attempts ------------------------------------------------------------


def test_counters_add_up_and_start_at_zero(store: Store) -> None:
    store.add_counter("requests")
    store.add_counter("requests", 4)
    store.add_counter("fallbacks", -1)

    assert store.counters() == {"fallbacks": -1, "requests": 5}


def test_model_stats_give_rate_error_kinds_and_latency_percentiles(store: Store) -> None:
    latencies = [float(n) for n in range(1, 21)]
    random.Random(7).shuffle(latencies)
    for at, latency in enumerate(latencies):
        store.record_attempt("groq/a", ok=True, duration_s=latency, at=float(at))
    for kind in ("timeout", "timeout", "timeout", "rate_limited", "rate_limited", ""):
        store.record_attempt("groq/a", ok=False, duration_s=100.0, error_kind=kind, at=50.0)

    stats = store.model_stats()["groq/a"]

    assert stats == ModelStats(
        model_id="groq/a",
        successes=20,
        failures=6,
        errors_by_kind={"timeout": 3, "rate_limited": 2, "unknown": 1},
        latency_p50_s=10.0,  # nearest rank: ceil(0.50 * 20) = 10th
        latency_p95_s=19.0,  # ceil(0.95 * 20) = 19th; the 100 s failures do not count
        last_attempt_at=50.0,
    )
    assert stats.success_rate == pytest.approx(20 / 26)


def test_model_stats_of_a_model_that_only_failed_have_no_latency(store: Store) -> None:
    store.record_attempt("x/y", ok=False, duration_s=3.0, error_kind="timeout", at=1.0)

    stats = store.model_stats()["x/y"]

    assert stats.success_rate == 0.0
    assert stats.latency_p50_s is None
    assert stats.latency_p95_s is None


def test_success_rate_is_none_without_attempts() -> None:
    assert ModelStats("x/y", 0, 0, {}, None, None, None).success_rate is None


def test_attempts_are_pruned_to_the_most_recent_per_model(path: Path) -> None:
    with Store(path, max_attempts_per_model=5) as store:
        for at in range(3):
            store.record_attempt("a/old", ok=False, duration_s=1.0, error_kind="x", at=at)
        for at in range(3, 8):
            store.record_attempt("a/old", ok=True, duration_s=float(at), at=at)
        store.record_attempt("b/other", ok=False, duration_s=1.0, at=0.0)

        stats = store.model_stats()

    assert (stats["a/old"].successes, stats["a/old"].failures) == (5, 0)
    assert stats["a/old"].latency_p50_s == 5.0
    assert stats["b/other"].failures == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone() == (6,)
    conn.close()


def test_attempts_are_bounded_to_a_thousand_by_default(store: Store) -> None:
    for at in range(1005):
        store.record_attempt("a/b", ok=True, duration_s=1.0, at=float(at))

    stats = store.model_stats()["a/b"]

    assert stats.successes == 1000


# -- the SQLite file ------------------------------------------------------------------


def test_the_file_uses_wal_and_identifies_itself(store: Store) -> None:
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        conn.close()


def test_the_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.db"

    Store(path).close()

    assert path.is_file()


def test_a_closed_store_raises_store_error(path: Path) -> None:
    with Store(path) as store:
        pass

    with pytest.raises(StoreError, match="closed"):
        store.counters()
    store.close()  # closing twice is harmless


def test_one_store_can_be_shared_by_threads(store: Store) -> None:
    def work() -> None:
        for _ in range(50):
            store.add_counter("calls")
            store.record_attempt("a/b", ok=True, duration_s=0.1, at=1.0)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert store.counters() == {"calls": 200}
    assert store.model_stats()["a/b"].successes == 200


WRITER = """
import sys
from pathlib import Path
from neoclone_core.state.store import Store

rounds = int(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for path in sys.argv[2:]:
    with Store(Path(path)) as store:
        for i in range(rounds):
            store.record_scan_failure("flaky", "boom", at=float(i), backoff=lambda n: 1.0)
            store.add_counter("calls")
"""


def run_together(count: int, *args: str) -> None:
    """Start `count` WRITER processes, release them at the same moment, expect success.

    They open the store only after the release, so they also race to create it.
    """
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        _, errors = child.communicate(timeout=60)
        assert child.returncode == 0, errors


def test_opening_a_new_file_another_opener_is_writing_waits_instead_of_failing(
    path: Path,
) -> None:
    # What a second process sees while the first is still creating the store: the
    # switch to WAL gets "database is locked" at once, busy handler or not.
    path.parent.mkdir(parents=True)
    path.touch()
    creator = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    creator.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.2, creator.execute, ("COMMIT",))
    release.start()
    try:
        with Store(path) as store:
            store.add_counter("opens")
            assert store.counters() == {"opens": 1}
    finally:
        release.join()
        creator.close()


def open_together(path: Path, count: int) -> list[BaseException]:
    """Open `path` from `count` threads released at once; each adds 1 to "opens"."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def open_and_count() -> None:
        barrier.wait()
        try:
            with Store(path) as store:
                store.add_counter("opens")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_and_count) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_stores_opened_together_on_a_new_file_see_one_consistent_store(tmp_path: Path) -> None:
    # Threads are cheap enough to race many times; each has its own connection, and
    # SQLite locks between them as between processes. An opener must never take another
    # opener's half-seen migration for a foreign file and move the store aside.
    for round_ in range(20):
        path = tmp_path / f"store-{round_}.db"

        assert open_together(path, 6) == []

        with Store(path) as store:
            assert store.counters() == {"opens": 6}
    assert list(tmp_path.glob("*.corrupt-*")) == []


def test_two_processes_writing_at_once_lose_no_updates(path: Path) -> None:
    rounds = 200

    run_together(2, str(rounds), str(path))

    with Store(path) as store:
        state = store.scan_state("flaky")
        assert state is not None
        assert state.failures == 2 * rounds
        assert store.counters() == {"calls": 2 * rounds}


# -- recovery -------------------------------------------------------------------------


def test_a_garbage_file_is_moved_aside_and_replaced(path: Path) -> None:
    garbage = b"this is not a database\x00\xff" * 100
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)

    with structlog.testing.capture_logs() as logs, Store(path) as store:
        store.add_counter("works")
        assert store.counters() == {"works": 1}

    [moved] = corrupt_files(path)
    assert moved.read_bytes() == garbage
    [event] = recovered_events(logs)
    assert event["log_level"] == "warning"
    assert event["path"] == str(path)
    assert event["moved_to"] == str(moved)
    assert event["reason"]


def test_a_foreign_sqlite_database_is_moved_aside_untouched(path: Path) -> None:
    path.parent.mkdir(parents=True)
    foreign = sqlite3.connect(path)
    foreign.execute("CREATE TABLE people (name TEXT)")
    foreign.execute("INSERT INTO people VALUES ('ada')")
    foreign.commit()
    foreign.close()
    original = path.read_bytes()

    with structlog.testing.capture_logs() as logs, Store(path) as store:
        store.record_scan_success("groq", [model("groq", "a")], at=1.0)
        assert [m.id for m in store.models()] == ["groq/a"]

    [moved] = corrupt_files(path)
    assert moved.read_bytes() == original  # not even switched to WAL
    [event] = recovered_events(logs)
    assert "application_id" in str(event["reason"])


def test_a_foreign_app_id_on_an_empty_database_is_still_foreign(path: Path) -> None:
    path.parent.mkdir(parents=True)
    foreign = sqlite3.connect(path)
    foreign.execute("PRAGMA application_id = 1234")
    foreign.close()

    with structlog.testing.capture_logs() as logs:
        Store(path).close()

    assert len(corrupt_files(path)) == 1
    assert len(recovered_events(logs)) == 1


def populated_store_bytes(path: Path) -> bytes:
    with Store(path) as store:
        models = [model("p", f"m{i:03}", display_name="x" * 200) for i in range(200)]
        store.record_scan_success("p", models, at=1.0)
    return path.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:4096], id="truncated-to-first-page"),
        pytest.param(
            lambda data: data[: 3 * 4096] + b"\xff" * 4096 + data[4 * 4096 :], id="page-overwritten"
        ),
    ],
)
def test_a_damaged_store_file_is_recovered(path: Path, damage: Callable[[bytes], bytes]) -> None:
    damaged = damage(populated_store_bytes(path))
    path.write_bytes(damaged)

    with structlog.testing.capture_logs() as logs, Store(path) as store:
        assert store.models() == []
        store.record_scan_success("p", [model("p", "fresh")], at=2.0)

    [moved] = corrupt_files(path)
    assert moved.read_bytes() == damaged
    assert len(recovered_events(logs)) == 1
    with Store(path) as reopened:
        assert [m.id for m in reopened.models()] == ["p/fresh"]


def test_sidecar_files_move_aside_with_the_damaged_store(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 1000)
    Path(f"{path}-wal").write_bytes(b"stale wal")
    # Someone else still has the file open, so SQLite keeps its -wal and -shm around.
    other = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError):
        other.execute("PRAGMA quick_check")

    try:
        Store(path).close()
    finally:
        other.close()

    [moved] = corrupt_files(path)
    assert Path(f"{moved}-wal").read_bytes() == b"stale wal"
    assert Path(f"{moved}-shm").exists()


def test_an_empty_file_becomes_a_store_without_recovery(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.touch()

    with structlog.testing.capture_logs() as logs:
        Store(path).close()

    assert corrupt_files(path) == []
    assert recovered_events(logs) == []


def test_a_store_from_a_newer_neoclone_is_refused_and_left_alone(path: Path) -> None:
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(StoreError, match="newer") as caught:
        Store(path)

    assert str(path) in str(caught.value)
    assert corrupt_files(path) == []


def test_an_uncreatable_location_raises_store_error_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be")
    path = blocker / "neoclone.db"

    with pytest.raises(StoreError) as caught:
        Store(path)

    assert str(path) in str(caught.value)


def test_a_directory_in_the_way_is_an_error_not_damage(path: Path) -> None:
    path.mkdir(parents=True)

    with pytest.raises(StoreError) as caught:
        Store(path)

    assert str(path) in str(caught.value)
    assert path.is_dir()
    assert corrupt_files(path) == []


def test_every_write_to_the_scans_moves_the_scans_version_as_another_process_sees_it(
    store: Store, path: Path
) -> None:
    with Store(path) as other:  # another process's connection to the same file
        seen = [other.scans_version()]
        store.record_scan_success("p", [ModelInfo("p", "m")], 1.0)
        seen.append(other.scans_version())
        store.record_scan_failure("p", "down", 2.0, lambda failures: 60.0)
        seen.append(other.scans_version())
        store.adopt_scan(ScanState("q", 3.0, 3.0, 0, None, "", 0), [])
        seen.append(other.scans_version())
        store.record_outcomes([], [])  # statistics are not the catalog
        store.add_counter("rescans_avoided")
        seen.append(other.scans_version())
        store.clear_cache()
        seen.append(other.scans_version())
    assert seen == [0, 1, 2, 3, 3, 4]
