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
- **Models as JSON made by `discover.serialize`**: the same shape as the snapshot and `--json`
  listings, so a new `ModelInfo` field needs no schema change.
- **Bounded attempts**: only the last `max_attempts_per_model` attempts of each model
  are kept (pruned in the writing transaction), so the file cannot grow without end and
  the statistics describe recent behaviour, which is what routing needs.
- **One connection per `Store`, guarded by a lock**: worker threads may share a `Store`;
  processes each open their own.
- **The engine's state** (`EngineState` in `engine_state.py`): breakers and cooldowns are a
  row per key, written when they change; attempts and requests arrive in batches and
  are pruned per model and per session in the same transaction.
"""

from __future__ import annotations

from pathlib import Path

from neoclone_core.state.engine_state import ModelStats
from neoclone_core.state.engine_tables import MAX_ATTEMPTS_PER_MODEL, EngineTables
from neoclone_core.state.scan_tables import ScanState, ScanTables
from neoclone_core.state.usage_tables import UsageTables

__all__ = ["ModelStats", "ScanState", "Store"]  # kept importable here, where they were


class Store(ScanTables, EngineTables, UsageTables):
    """The embedded store at `path`: the scan cache (`ScanTables`), the engine's state
    (`EngineTables`) and the usage ledger (`UsageTables`) over one connection
    (`SQLiteFile`). Use as a context manager or call
    `close()`."""

    def __init__(self, path: Path, *, max_attempts_per_model: int = MAX_ATTEMPTS_PER_MODEL) -> None:
        if max_attempts_per_model < 1:
            msg = f"max_attempts_per_model must be >= 1, not {max_attempts_per_model!r}"
            raise ValueError(msg)
        super().__init__(path)
        self._max_attempts = max_attempts_per_model

    def __enter__(self) -> Store:
        return self
