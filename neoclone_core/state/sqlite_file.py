"""One SQLite file that is a neoclone store: opening it (WAL, busy timeout), recognising
it (`application_id`, `user_version`), migrating its schema, moving a damaged or foreign
file aside, and one locked transaction at a time. The tables' own code is in
`scan_tables` and `engine_tables`; `Store` combines the three (see `store`).
"""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from neoclone_core.errors import StoreError
from neoclone_core.log import log

APPLICATION_ID = 0x4E434C4E  # "NCLN" in the SQLite header: this file is a neoclone store


SCHEMA_VERSION = 4


_BUSY_TIMEOUT_MS = 5000


_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6  # primary result codes; extended ones add high bits


_SIDECARS = ("-wal", "-shm", "-journal")


LEDGER_SCHEMA = (
    # The usage ledger (`usage_tables`, `usage_rows`): a row per window bucket and per
    # running total, and what providers last said was left.
    """CREATE TABLE IF NOT EXISTS usage (
        key TEXT NOT NULL,
        start REAL NOT NULL,
        requests INTEGER NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0,
        request_limit INTEGER,
        token_limit INTEGER,
        PRIMARY KEY (key, start)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS usage_stated (
        scope TEXT NOT NULL,
        credential TEXT NOT NULL,
        unit TEXT NOT NULL,
        remaining INTEGER NOT NULL,
        lim INTEGER,
        reset_at REAL NOT NULL,
        said_at REAL NOT NULL,
        total_then INTEGER NOT NULL,
        PRIMARY KEY (scope, credential, unit))""",
)


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
    LEDGER_SCHEMA,
)


assert len(_MIGRATIONS) == SCHEMA_VERSION


class _DamagedError(Exception):
    """The file is not a usable neoclone store and may be moved aside; args[0] says why."""


class SQLiteFile:
    """The store's file and its one connection, guarded by a lock (worker threads may
    share it; processes each open their own). Use as a context manager or `close()`."""

    path: Path

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = _open(self.path)

    def close(self) -> None:
        """Close the connection; later calls raise `StoreError`. Closing twice is fine."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

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
    log.warning("neoclone.store_recovered", path=str(path), moved_to=str(moved_to), reason=reason)
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
