"""The embedded store: one SQLite file for the catalog, scan cache, counters and stats.

Why it is built this way:

- **stdlib `sqlite3`, one file**: nothing to install or run, and several neoclone
  processes (a CLI call next to a running proxy) can share it safely.
- **WAL, `busy_timeout`, `BEGIN IMMEDIATE` for every write**: readers never block the
  writer, and a read-modify-write (a failure counter) takes the write lock *before*
  reading, so two processes queue up instead of losing an increment or failing with
  "database is locked" on a lock upgrade. `isolation_level=None` leaves transactions to
  us so none is opened behind our back.
- **`application_id` and `user_version`**: the header says whose file this is and which
  schema it holds, so a foreign database is recognised and the schema can migrate. A
  store from a newer neoclone is refused with `StoreError`, not moved aside: it is
  healthy, just not ours to read.
- **Recovery instead of crashing**: everything here is a cache or a statistic that the
  next scan rebuilds, so a damaged or foreign file is moved aside (kept for inspection,
  never deleted) and a fresh store takes its place, with a warning event. Only when a
  fresh store cannot be created either is `StoreError` raised.
- **Models as JSON made by `_serialize`**: the same shape as the snapshot and `--json`
  listings, so a new `ModelInfo` field needs no schema change.
- **Bounded attempts**: only the last `max_attempts_per_model` attempts of each model
  are kept (pruned in the writing transaction), so the file cannot grow without end and
  the statistics describe recent behaviour, which is what routing needs.
- **One connection per `Store`, guarded by a lock**: worker threads may share a `Store`;
  processes each open their own.
- **The engine's state** (`EngineState` in `_state.py`): breakers and cooldowns are a
  row per key, written when they change; attempts and requests arrive in batches and
  are pruned per model and per session in the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs
import structlog

from neoclone_core._models import ModelInfo
from neoclone_core._serialize import model_from_dict, model_to_dict
from neoclone_core._state import (
    AttemptRecord,
    BreakerState,
    BreakerStatus,
    Cooldown,
    ModelStats,
    RequestRecord,
    SessionStats,
)
from neoclone_core.errors import StoreError

__all__ = ["ModelStats", "ScanState", "Store"]  # ModelStats lives in _state; kept importable here

APPLICATION_ID = 0x4E434C4E  # "NCLN" in the SQLite header: this file is a neoclone store
SCHEMA_VERSION = 3
MAX_ATTEMPTS_PER_MODEL = 1000
MAX_REQUESTS_PER_SESSION = 1000
_BUSY_TIMEOUT_MS = 5000
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6  # primary result codes; extended ones add high bits
_SIDECARS = ("-wal", "-shm", "-journal")

# _MIGRATIONS[n] takes a store from schema version n to n + 1.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS scans (
            provider TEXT PRIMARY KEY,
            last_success_at REAL,
            last_attempt_at REAL,
            failures INTEGER NOT NULL DEFAULT 0,
            next_retry_at REAL,
            last_error TEXT NOT NULL DEFAULT '',
            model_count INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE IF NOT EXISTS models (
            provider TEXT NOT NULL,
            id TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (provider, id))""",
        "CREATE INDEX IF NOT EXISTS models_by_id ON models (id)",
        """CREATE TABLE IF NOT EXISTS counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS attempts (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            model_id TEXT NOT NULL,
            at REAL NOT NULL,
            ok INTEGER NOT NULL,
            duration_s REAL NOT NULL,
            error_kind TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX IF NOT EXISTS attempts_by_model ON attempts (model_id, seq)",
    ),
    (
        "ALTER TABLE attempts ADD COLUMN ttft_s REAL",
        "ALTER TABLE attempts ADD COLUMN session TEXT NOT NULL DEFAULT ''",
        """CREATE TABLE IF NOT EXISTS breakers (
            key TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            until REAL NOT NULL,
            opened INTEGER NOT NULL,
            changed_at REAL NOT NULL,
            reason TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE IF NOT EXISTS cooldowns (
            key TEXT PRIMARY KEY,
            until REAL NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            set_at REAL NOT NULL,
            credential TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE IF NOT EXISTS requests (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            session TEXT NOT NULL,
            at REAL NOT NULL,
            ok INTEGER NOT NULL,
            served_by TEXT NOT NULL DEFAULT '',
            fallbacks INTEGER NOT NULL DEFAULT 0,
            total_s REAL NOT NULL,
            ttft_s REAL,
            error_kind TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX IF NOT EXISTS requests_by_session ON requests (session, seq)",
    ),
    (
        # One row counting the writes to `scans`, so that a running instance can tell
        # cheaply that another process changed the catalog.
        """CREATE TABLE IF NOT EXISTS scans_version (
            id INTEGER PRIMARY KEY CHECK (id = 0),
            value INTEGER NOT NULL)""",
        "INSERT OR IGNORE INTO scans_version (id, value) VALUES (0, 0)",
    ),
)
assert len(_MIGRATIONS) == SCHEMA_VERSION

_SCAN_COLUMNS = (
    "provider, last_success_at, last_attempt_at, failures, next_retry_at, last_error, model_count"
)
_BREAKER_COLUMNS = "key, status, until, opened, changed_at, reason"
_COOLDOWN_COLUMNS = "key, until, reason, set_at, credential"


@attrs.frozen
class ScanState:
    """What the store remembers about one provider's scans; times are POSIX seconds."""

    provider: str
    last_success_at: float | None
    last_attempt_at: float | None
    failures: int  # consecutive failures since the last success
    next_retry_at: float | None  # do not scan before this; set on failure, cleared on success
    last_error: str  # "" when the last attempt succeeded
    model_count: int  # models kept from the last successful scan

    @classmethod
    def never_scanned(cls, provider: str) -> ScanState:
        """The state of a provider no scan has been recorded for."""
        return cls(provider, None, None, 0, None, "", 0)

    def after_failure(self, error: str, at: float, backoff: Callable[[int], float]) -> ScanState:
        """This state after a scan failed at `at`: one more consecutive failure, and no
        retry before `backoff(failures)` seconds have passed; the models stay."""
        failures = self.failures + 1
        return attrs.evolve(
            self,
            last_attempt_at=at,
            failures=failures,
            next_retry_at=at + backoff(failures),
            last_error=error,
        )


class _DamagedError(Exception):
    """The file is not a usable neoclone store and may be moved aside; args[0] says why."""


def _log() -> structlog.typing.FilteringBoundLogger:
    # Looked up at each use so the CLI's (or a test's) logging configuration applies.
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger("neoclone")
    return logger


class Store:
    """The embedded store at `path`; use as a context manager or call `close()`."""

    def __init__(self, path: Path, *, max_attempts_per_model: int = MAX_ATTEMPTS_PER_MODEL) -> None:
        if max_attempts_per_model < 1:
            msg = f"max_attempts_per_model must be >= 1, not {max_attempts_per_model!r}"
            raise ValueError(msg)
        self.path = Path(path)
        self._max_attempts = max_attempts_per_model
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = _open(self.path)

    def close(self) -> None:
        """Close the connection; later calls raise `StoreError`. Closing twice is fine."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- scans and models -------------------------------------------------------------

    def scan_state(self, provider: str) -> ScanState | None:
        """The provider's scan state, or None if it was never scanned."""
        with self._transaction("DEFERRED") as conn:
            return _get_scan(conn, provider)

    def scan_states(self) -> dict[str, ScanState]:
        """Every provider's scan state, by provider name."""
        with self._transaction("DEFERRED") as conn:
            rows = conn.execute(f"SELECT {_SCAN_COLUMNS} FROM scans ORDER BY provider")
            return {row[0]: _scan_from_row(row) for row in rows}

    def scans_version(self) -> int:
        """A number that grows whenever any process records, adopts or clears a scan,
        so that a running instance can tell its copy of the catalog is out of date."""
        with self._transaction("DEFERRED") as conn:
            (value,) = conn.execute("SELECT value FROM scans_version").fetchone()
        return int(value)

    def record_scan_success(
        self, provider: str, models: Sequence[ModelInfo], at: float
    ) -> ScanState:
        """Replace the provider's cached models with `models` and reset its failures."""
        count = len({model.id for model in models})
        state = ScanState(provider, at, at, 0, None, "", count)
        self.adopt_scan(state, models)
        return state

    def adopt_scan(self, state: ScanState, models: Sequence[ModelInfo] | None) -> None:
        """Take a scan recorded elsewhere (another instance's, read from a shared
        cache): its state, and its models unless `models` is None (the cached ones stay)."""
        rows = {model.id: json.dumps(model_to_dict(model)) for model in models or ()}
        with self._transaction("IMMEDIATE") as conn:
            if models is not None:
                conn.execute("DELETE FROM models WHERE provider = ?", (state.provider,))
                conn.executemany(
                    "INSERT INTO models (provider, id, data) VALUES (?, ?, ?)",
                    [(state.provider, model_id, data) for model_id, data in rows.items()],
                )
            _put_scan(conn, state)

    def record_scan_failure(
        self, provider: str, error: str, at: float, backoff: Callable[[int], float]
    ) -> ScanState:
        """Count a failed scan and set when to retry; the cached models stay.

        `backoff(failures)` gets the new count of consecutive failures and returns the
        seconds to wait. The write lock is held from the read to the write, so failures
        recorded by several processes at once are all counted.
        """
        with self._transaction("IMMEDIATE") as conn:
            old = _get_scan(conn, provider) or ScanState.never_scanned(provider)
            state = old.after_failure(error, at, backoff)
            _put_scan(conn, state)
        return state

    def models(self, provider: str | None = None) -> list[ModelInfo]:
        """The cached models, of one provider or all, ordered by id.

        They come back exactly as stored (including `source`); a row that no longer
        decodes is skipped with a `neoclone.store_model_skipped` warning.
        """
        with self._transaction("DEFERRED") as conn:
            if provider is None:
                rows = conn.execute("SELECT id, data FROM models ORDER BY id").fetchall()
            else:
                rows = conn.execute(
                    "SELECT id, data FROM models WHERE provider = ? ORDER BY id", (provider,)
                ).fetchall()
        return [model for model in (self._decode(*row) for row in rows) if model is not None]

    def clear_cache(self) -> None:
        """Forget every scan and cached model; counters and attempt stats stay."""
        with self._transaction("IMMEDIATE") as conn:
            conn.execute("DELETE FROM models")
            conn.execute("DELETE FROM scans")
            _bump_scans_version(conn)

    # -- counters and attempts --------------------------------------------------------

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
            latencies = _ordered(conn, "attempts", "model_id", "duration_s")
            ttfts = _ordered(conn, "attempts", "model_id", "ttft_s")
        return {
            model_id: ModelStats(
                model_id=model_id,
                successes=successes,
                failures=failures,
                errors_by_kind=kinds.get(model_id, {}),
                latency_p50_s=_nearest_rank(latencies.get(model_id, []), 50),
                latency_p95_s=_nearest_rank(latencies.get(model_id, []), 95),
                last_attempt_at=last_at,
                ttft_p50_s=_nearest_rank(ttfts.get(model_id, []), 50),
                ttft_p95_s=_nearest_rank(ttfts.get(model_id, []), 95),
            )
            for model_id, successes, failures, last_at in totals
        }

    def session_stats(self) -> dict[str, SessionStats]:
        """Statistics over each session's kept requests, by session name."""
        with self._transaction("DEFERRED") as conn:
            totals = conn.execute(
                "SELECT session, COUNT(*), SUM(ok), SUM(fallbacks) FROM requests"
                " GROUP BY session ORDER BY session"
            ).fetchall()
            kinds = _errors_by_kind(conn, "session")
            latencies = _ordered(conn, "requests", "session", "total_s")
            ttfts = _ordered(conn, "requests", "session", "ttft_s")
            served = _served_by(conn)
        return {
            session: SessionStats(
                session=session,
                requests=requests,
                successes=successes,
                fallbacks=fallbacks,
                errors_by_kind=kinds.get(session, {}),
                latency_p50_s=_nearest_rank(latencies.get(session, []), 50),
                latency_p95_s=_nearest_rank(latencies.get(session, []), 95),
                ttft_p50_s=_nearest_rank(ttfts.get(session, []), 50),
                served_by=served.get(session, {}),
            )
            for session, requests, successes, fallbacks in totals
        }

    # -- breakers and cooldowns -------------------------------------------------------

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

    # -- plumbing ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self, mode: str) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock; SQLite errors surface as `StoreError`."""
        with self._lock:
            if self._conn is None:
                msg = f"the store at {self.path} is closed"
                raise StoreError(msg)
            try:
                with _begin(self._conn, mode):
                    yield self._conn
            except sqlite3.Error as exc:
                msg = f"the store at {self.path} failed: {exc}"
                raise StoreError(msg) from exc

    def _decode(self, model_id: str, data: str) -> ModelInfo | None:
        try:
            return model_from_dict(json.loads(data))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            _log().warning(
                "neoclone.store_model_skipped",
                path=str(self.path),
                model=model_id,
                reason=f"{type(exc).__name__}: {exc}",
            )
            return None


@contextlib.contextmanager
def _begin(conn: sqlite3.Connection, mode: str) -> Iterator[None]:
    """Run the body in a `BEGIN <mode>` transaction: committed, or rolled back on error."""
    conn.execute(f"BEGIN {mode}")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# -- rows ---------------------------------------------------------------------------


def _scan_from_row(row: tuple[Any, ...]) -> ScanState:
    return ScanState(*row)  # _SCAN_COLUMNS lists the columns in field order


def _get_scan(conn: sqlite3.Connection, provider: str) -> ScanState | None:
    row = conn.execute(
        f"SELECT {_SCAN_COLUMNS} FROM scans WHERE provider = ?", (provider,)
    ).fetchone()
    return None if row is None else _scan_from_row(row)


def _put_scan(conn: sqlite3.Connection, state: ScanState) -> None:
    conn.execute(
        f"INSERT OR REPLACE INTO scans ({_SCAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        attrs.astuple(state),
    )
    _bump_scans_version(conn)


def _bump_scans_version(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE scans_version SET value = value + 1")


_REQUEST_COLUMNS = "session, at, ok, served_by, fallbacks, total_s, ttft_s, error_kind"


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


def _nearest_rank(ordered: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile of an already sorted sequence; None when empty."""
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


# -- opening and recovery -----------------------------------------------------------


def _open(path: Path) -> sqlite3.Connection:
    """A ready connection to the store at `path`, moving a damaged file aside first."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _connect(path)
    except _DamagedError as exc:
        reason = str(exc)
    except OSError as exc:
        msg = f"cannot create the store at {path}: {exc}"
        raise StoreError(msg) from exc
    moved_to = _move_aside(path)
    _log().warning(
        "neoclone.store_recovered", path=str(path), moved_to=str(moved_to), reason=reason
    )
    try:
        return _connect(path)
    except _DamagedError as exc:
        msg = f"cannot create a fresh store at {path}: {exc}"
        raise StoreError(msg) from exc


def _connect(path: Path) -> sqlite3.Connection:
    """Open, check, configure and migrate; raises `_DamagedError` or `StoreError`."""
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        with _begin(conn, "DEFERRED"):  # one snapshot: another process may be migrating
            _check(conn)  # before anything writes, so a foreign file is left as it was
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(conn, path)
    except BaseException as exc:
        if conn is not None:
            conn.close()
        if isinstance(exc, sqlite3.Error):
            raise _classify(exc, path) from exc
        raise
    return conn


def _classify(exc: sqlite3.Error, path: Path) -> Exception:
    """Corruption means recover; anything else (locked, unreadable, full) means give up.

    SQLite reports a damaged or non-database file as a plain `DatabaseError`, while
    locking, permission and I/O trouble are `OperationalError`s: moving a healthy but
    busy store aside would lose its data.
    """
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return _DamagedError(str(exc))
    return StoreError(f"cannot open the store at {path}: {exc}")


def _check(conn: sqlite3.Connection) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        msg = "quick_check: " + "; ".join(map(str, problems))
        raise _DamagedError(msg)
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    has_tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] > 0
    if app_id != APPLICATION_ID and (app_id != 0 or has_tables):
        msg = f"not a neoclone store (application_id {app_id:#x})"
        raise _DamagedError(msg)


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, retrying while another process is creating the same store.

    The switch needs an exclusive lock, and SQLite answers "database is locked" at once,
    without the busy handler, when waiting could deadlock; so two processes opening a
    new store together would see one of them fail without this loop.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
        else:
            return


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is None:
        return "locked" in str(exc)
    return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    if _user_version(conn) == SCHEMA_VERSION:
        return
    with _begin(conn, "IMMEDIATE"):
        version = _user_version(conn)  # again: another process may have migrated meanwhile
        if version > SCHEMA_VERSION:
            msg = (
                f"the store at {path} has schema {version}, newer than this neoclone"
                f" understands ({SCHEMA_VERSION}); upgrade neoclone or use another store path"
            )
            raise StoreError(msg)
        for statements in _MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _user_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def _move_aside(path: Path) -> Path:
    """Rename the file and its sidecars to `<name>.corrupt-<UTC time>`; returns the new path.

    The sidecars keep their suffix after the new name, so SQLite still pairs them when
    someone opens the moved file to see what went wrong.
    """
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    serial = 1
    while target.exists():
        serial += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{serial}")
    try:
        for suffix in ("", *_SIDECARS):
            with contextlib.suppress(FileNotFoundError):  # another process was quicker
                Path(f"{path}{suffix}").replace(f"{target}{suffix}")
    except OSError as exc:
        msg = f"cannot move the damaged store at {path} aside: {exc}"
        raise StoreError(msg) from exc
    return target
