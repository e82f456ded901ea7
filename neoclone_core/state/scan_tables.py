"""The scan-cache part of the embedded store: each provider's scan state and the models
of its last successful scan, stored as the JSON `discover.serialize` makes (the shape of
the snapshot and of `--json` listings, so a new `ModelInfo` field needs no migration)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from neoclone_core.discover.serialize import model_from_dict, model_to_dict
from neoclone_core.log import log
from neoclone_core.models import ModelInfo
from neoclone_core.state.sqlite_file import SQLiteFile

_SCAN_COLUMNS = (
    "provider, last_success_at, last_attempt_at, failures, next_retry_at, last_error, model_count"
)


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


class ScanTables(SQLiteFile):
    """Scans and models (the `ScanCache` protocol, on SQLite)."""

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

    def _decode(self, model_id: str, data: str) -> ModelInfo | None:
        try:
            return model_from_dict(json.loads(data))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning(
                "neoclone.store_model_skipped",
                path=str(self.path),
                model=model_id,
                reason=f"{type(exc).__name__}: {exc}",
            )
            return None


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
