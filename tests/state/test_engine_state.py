"""The embedded store as the engine's state: breakers, cooldowns, batched outcomes and
their statistics, and the migration of a store written before they existed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from neoclone_core import Attempt, BreakerState, BreakerStatus, Cooldown, EngineState, Route
from neoclone_core.state.engine_state import AttemptRecord, RequestRecord
from neoclone_core.state.sqlite_file import _MIGRATIONS, APPLICATION_ID, SCHEMA_VERSION
from neoclone_core.state.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "neoclone.sqlite3", max_attempts_per_model=3) as opened:
        yield opened


def test_the_store_is_an_engine_state(store: Store) -> None:
    state: EngineState = store  # mypy checks the protocol; this checks it at run time too
    for method in ("breakers", "save_breaker", "cooldowns", "set_cooldown", "record_outcomes"):
        assert callable(getattr(state, method))


def test_breakers_round_trip_and_the_latest_state_wins(store: Store) -> None:
    opened = BreakerState("p/m", BreakerStatus.OPEN, 130.0, 1, 100.0, "5 failures in a row")
    store.save_breaker(opened)
    assert store.breakers() == {"p/m": opened}
    closed = BreakerState("p/m", BreakerStatus.CLOSED, 0.0, 0, 140.0, "")
    store.save_breaker(closed)
    assert store.breakers() == {"p/m": closed}


def test_only_running_cooldowns_are_read_back(store: Store) -> None:
    store.set_cooldown(Cooldown("a/m", 160.0, "rate limited", 100.0, "f1"))
    store.set_cooldown(Cooldown("provider:b", 120.0, "key refused", 100.0))
    assert store.cooldowns(now=130.0) == {
        "a/m": Cooldown("a/m", 160.0, "rate limited", 100.0, "f1")
    }
    store.set_cooldown(Cooldown("c/m", 200.0, "gone", 150.0))  # drops what expired by then
    assert sorted(store.cooldowns(now=0.0)) == ["a/m", "c/m"]


def test_a_batch_of_outcomes_is_kept_and_pruned_per_model_and_session(store: Store) -> None:
    attempts = [
        AttemptRecord("p/m", float(at), True, 0.1 * at, ttft_s=0.01 * at) for at in range(1, 6)
    ]
    requests = [RequestRecord("s", float(at), True, "p/m", at % 2, 0.2 * at) for at in range(1, 6)]
    store.record_outcomes(attempts, requests)
    stats = store.model_stats()["p/m"]
    assert stats.successes == 3  # the newest three kept
    assert stats.ttft_p50_s == pytest.approx(0.04)
    session = store.session_stats()["s"]
    assert (session.requests, session.fallbacks, session.served_by) == (5, 3, {"p/m": 5})


def test_session_statistics_count_failures_and_their_kinds(store: Store) -> None:
    store.record_outcomes(
        [
            AttemptRecord("a/m", 1.0, False, 0.5, "timeout", session="s"),
            AttemptRecord("b/m", 1.0, True, 0.2, session="s"),
            AttemptRecord("a/m", 2.0, False, 0.5, "unavailable", session="s"),
            AttemptRecord("b/m", 2.0, False, 0.5, "unavailable", session="s"),
        ],
        [
            RequestRecord("s", 1.0, True, "b/m", 1, 0.7),
            RequestRecord("s", 2.0, False, "", 1, 1.0, error_kind="unavailable"),
        ],
    )
    session = store.session_stats()["s"]
    assert (session.requests, session.successes, session.failures) == (2, 1, 1)
    assert session.errors_by_kind == {"timeout": 1, "unavailable": 2}
    assert session.latency_p50_s == 0.7  # of served requests only
    assert session.as_dict()["success_rate"] == 0.5


def test_a_store_from_before_the_engine_state_is_migrated_keeping_its_attempts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for statement in _MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO attempts (model_id, at, ok, duration_s, error_kind)"
            " VALUES ('p/m', 1.0, 1, 0.5, '')"
        )
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    with Store(path) as store:
        stats = store.model_stats()["p/m"]
        store.save_breaker(BreakerState("p/m"))
    assert (stats.successes, stats.latency_p50_s, stats.ttft_p50_s) == (1, 0.5, None)
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    check.close()


def test_a_route_counts_fallbacks_retries_and_neoclones_own_time() -> None:
    route = Route(
        (
            Attempt("a/m", ok=False, duration_s=0.0, error="benched", skipped=True),
            Attempt("b/m", ok=False, duration_s=0.5, error_kind="timeout"),
            Attempt("b/m", ok=False, duration_s=0.5, error_kind="timeout", retry=1),
            Attempt("c/m", ok=True, duration_s=1.0, ttft_s=0.25),
        ),
        served_by="c/m",
        total_s=2.25,
    )
    assert (route.fallbacks, route.retries, route.ttft_s) == (2, 1, 0.25)
    assert route.overhead_s == pytest.approx(0.25)
    assert [a.outcome for a in route.attempts] == ["skipped", "failed", "failed", "ok"]
