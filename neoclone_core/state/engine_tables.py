"""The engine-state part of the embedded store: counters, attempts and requests (pruned
per model and per session in the writing transaction, so the file stays bounded and the
statistics describe recent behaviour), breakers and cooldowns (a row per key, written
when they change). It implements `EngineState` on SQLite."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from neoclone_core.state.engine_state import (
    AttemptRecord,
    BreakerState,
    BreakerStatus,
    Cooldown,
    ModelStats,
    RequestRecord,
    SessionStats,
)
from neoclone_core.state.sqlite_file import SQLiteFile

MAX_ATTEMPTS_PER_MODEL = 1000


MAX_REQUESTS_PER_SESSION = 1000


_BREAKER_COLUMNS = "key, status, until, opened, changed_at, reason"


_COOLDOWN_COLUMNS = "key, until, reason, set_at, credential"


_REQUEST_COLUMNS = "session, at, ok, served_by, fallbacks, total_s, ttft_s, error_kind"


class EngineTables(SQLiteFile):
    """Counters, statistics, breakers and cooldowns (the `EngineState` protocol)."""

    _max_attempts: int = MAX_ATTEMPTS_PER_MODEL

    def add_counter(self, name: str, delta: int = 1) -> None:
        """Add `delta` to the named counter, creating it at 0 first."""
        with self._transaction("IMMEDIATE") as conn:
            conn.execute("INSERT OR IGNORE INTO counters (name, value) VALUES (?, 0)", (name,))
            conn.execute("UPDATE counters SET value = value + ? WHERE name = ?", (delta, name))

    def counters(self) -> dict[str, int]:
        """Every counter by name."""
        with self._transaction("DEFERRED") as conn:
            return dict(conn.execute("SELECT name, value FROM counters ORDER BY name"))

    def record_attempt(
        self,
        model_id: str,
        *,
        ok: bool,
        duration_s: float,
        error_kind: str = "",
        at: float,
        ttft_s: float | None = None,
        session: str = "",
    ) -> None:
        """Keep one attempt, dropping the model's oldest beyond the bound."""
        record = AttemptRecord(model_id, at, ok, duration_s, error_kind, ttft_s, session)
        self.record_outcomes([record], [])

    def record_outcomes(
        self, attempts: Sequence[AttemptRecord], requests: Sequence[RequestRecord]
    ) -> None:
        """Keep a batch of attempts and requests in one transaction, dropping each
        model's (and session's) oldest beyond the bounds."""
        if not attempts and not requests:
            return
        with self._transaction("IMMEDIATE") as conn:
            conn.executemany(
                "INSERT INTO attempts (model_id, at, ok, duration_s, error_kind, ttft_s, session)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [  # by hand: attrs.astuple is generic, and this runs for every attempt
                    (a.model_id, a.at, a.ok, a.duration_s, a.error_kind, a.ttft_s, a.session)
                    for a in attempts
                ],
            )
            conn.executemany(
                f"INSERT INTO requests ({_REQUEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_request_row(r) for r in requests],
            )
            for model_id in {a.model_id for a in attempts}:
                _prune(conn, "attempts", "model_id", model_id, self._max_attempts)
            for session in {r.session for r in requests}:
                _prune(conn, "requests", "session", session, MAX_REQUESTS_PER_SESSION)

    def model_stats(self) -> dict[str, ModelStats]:
        """Statistics over each model's kept attempts, by model id."""
        with self._transaction("DEFERRED") as conn:
            totals = conn.execute(
                "SELECT model_id, SUM(ok), SUM(1 - ok), MAX(at) FROM attempts"
                " GROUP BY model_id ORDER BY model_id"
            ).fetchall()
            kinds = _errors_by_kind(conn, "model_id")
            latency = _percentiles(_ordered(conn, "attempts", "model_id", "duration_s"))
            ttft = _percentiles(_ordered(conn, "attempts", "model_id", "ttft_s"))
        stats = {}
        for model_id, successes, failures, last_at in totals:
            (latency_p50, latency_p95), (ttft_p50, ttft_p95) = latency(model_id), ttft(model_id)
            stats[model_id] = ModelStats(
                model_id=model_id,
                successes=successes,
                failures=failures,
                errors_by_kind=kinds.get(model_id, {}),
                latency_p50_s=latency_p50,
                latency_p95_s=latency_p95,
                last_attempt_at=last_at,
                ttft_p50_s=ttft_p50,
                ttft_p95_s=ttft_p95,
            )
        return stats

    def session_stats(self) -> dict[str, SessionStats]:
        """Statistics over each session's kept requests, by session name."""
        with self._transaction("DEFERRED") as conn:
            totals = conn.execute(
                "SELECT session, COUNT(*), SUM(ok), SUM(fallbacks) FROM requests"
                " GROUP BY session ORDER BY session"
            ).fetchall()
            kinds = _errors_by_kind(conn, "session")
            latency = _percentiles(_ordered(conn, "requests", "session", "total_s"))
            ttft = _percentiles(_ordered(conn, "requests", "session", "ttft_s"))
            served = _served_by(conn)
        stats = {}
        for session, requests, successes, fallbacks in totals:
            (latency_p50, latency_p95), (ttft_p50, _) = latency(session), ttft(session)
            stats[session] = SessionStats(
                session=session,
                requests=requests,
                successes=successes,
                fallbacks=fallbacks,
                errors_by_kind=kinds.get(session, {}),
                latency_p50_s=latency_p50,
                latency_p95_s=latency_p95,
                ttft_p50_s=ttft_p50,
                served_by=served.get(session, {}),
            )
        return stats

    def breakers(self) -> dict[str, BreakerState]:
        """Every stored breaker, by key."""
        with self._transaction("DEFERRED") as conn:
            rows = conn.execute(f"SELECT {_BREAKER_COLUMNS} FROM breakers ORDER BY key")
            return {row[0]: _breaker_from_row(row) for row in rows}

    def save_breaker(self, state: BreakerState) -> None:
        """Store a breaker's new state, replacing its earlier one."""
        row = (state.key, state.status.value, state.until, state.opened, state.changed_at)
        with self._transaction("IMMEDIATE") as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO breakers ({_BREAKER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (*row, state.reason),
            )

    def cooldowns(self, now: float) -> dict[str, Cooldown]:
        """The cooldowns still running at `now`, by key."""
        with self._transaction("DEFERRED") as conn:
            rows = conn.execute(
                f"SELECT {_COOLDOWN_COLUMNS} FROM cooldowns WHERE until > ? ORDER BY key", (now,)
            )
            return {row[0]: Cooldown(*row) for row in rows}

    def set_cooldown(self, cooldown: Cooldown) -> None:
        """Store a cooldown, replacing the key's earlier one; expired ones are dropped."""
        with self._transaction("IMMEDIATE") as conn:
            conn.execute("DELETE FROM cooldowns WHERE until <= ?", (cooldown.set_at,))
            conn.execute(
                f"INSERT OR REPLACE INTO cooldowns ({_COOLDOWN_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                attrs.astuple(cooldown),
            )


def _request_row(r: RequestRecord) -> tuple[Any, ...]:
    return (r.session, r.at, r.ok, r.served_by, r.fallbacks, r.total_s, r.ttft_s, r.error_kind)


def _breaker_from_row(row: tuple[Any, ...]) -> BreakerState:
    key, status, until, opened, changed_at, reason = row
    return BreakerState(key, BreakerStatus(status), until, opened, changed_at, reason)


def _prune(conn: sqlite3.Connection, table: str, column: str, value: str, keep: int) -> None:
    """Drop the rows of `table` whose `column` is `value`, but for the newest `keep`."""
    conn.execute(
        f"DELETE FROM {table} WHERE {column} = ? AND seq <= (SELECT seq FROM {table}"
        f" WHERE {column} = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
        (value, value, keep),
    )


def _errors_by_kind(conn: sqlite3.Connection, by: str) -> dict[str, dict[str, int]]:
    """Failed attempts counted by `by` (model_id or session) and error kind."""
    kinds: dict[str, dict[str, int]] = {}
    rows = conn.execute(
        f"SELECT {by}, error_kind, COUNT(*) FROM attempts WHERE ok = 0 GROUP BY {by}, error_kind"
    )
    for key, kind, count in rows:
        by_kind = kinds.setdefault(key, {})
        by_kind[kind or "unknown"] = by_kind.get(kind or "unknown", 0) + count
    return kinds


def _ordered(conn: sqlite3.Connection, table: str, by: str, column: str) -> dict[str, list[float]]:
    """`column` of the successful rows of `table`, sorted, for each value of `by`."""
    values: dict[str, list[float]] = {}
    rows = conn.execute(
        f"SELECT {by}, {column} FROM {table} WHERE ok = 1 AND {column} IS NOT NULL"
        f" ORDER BY {by}, {column}"
    )
    for key, value in rows:
        values.setdefault(key, []).append(value)
    return values


def _served_by(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    served: dict[str, dict[str, int]] = {}
    rows = conn.execute(
        "SELECT session, served_by, COUNT(*) FROM requests WHERE ok = 1"
        " GROUP BY session, served_by ORDER BY session, served_by"
    )
    for session, model_id, count in rows:
        served.setdefault(session, {})[model_id] = count
    return served


def _percentiles(
    ordered: dict[str, list[float]],
) -> Callable[[str], tuple[float | None, float | None]]:
    """The p50 and p95 of each key's `ordered` samples (None, None for a key without)."""

    def of(key: str) -> tuple[float | None, float | None]:
        samples = ordered.get(key, [])
        return _nearest_rank(samples, 50), _nearest_rank(samples, 95)

    return of


def _nearest_rank(ordered: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile of an already sorted sequence; None when empty."""
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]
