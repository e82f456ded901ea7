"""Performance monitoring: every attempt and request kept in the store, in batches.

Statistics must not cost the request they describe: a write per attempt would be a
SQLite transaction on every call, milliseconds under contention. So outcomes are
buffered and written together, every `flush_every` records or `flush_s` seconds, and on
close; whoever reads statistics flushes first. Scoring reads them through a snapshot
refreshed at most once per `refresh_s`, because aggregating thousands of attempts on
every routing decision would cost more than the routing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from neoclone_core.errors import StoreError
from neoclone_core.log import log
from neoclone_core.state.engine_state import AttemptRecord, EngineState, ModelStats, RequestRecord


@attrs.define
class Recorder:
    """Buffers outcomes for `state` and serves a cached view of model statistics."""

    state: EngineState
    monotonic: Callable[[], float]
    flush_every: int = 64
    flush_s: float = 5.0
    refresh_s: float = 1.0
    _attempts: list[AttemptRecord] = attrs.field(factory=list)
    _requests: list[RequestRecord] = attrs.field(factory=list)
    _flushed_at: float | None = None
    _stats: Mapping[str, ModelStats] | None = None
    _stats_at: float = 0.0
    last_call_at: dict[str, float] = attrs.field(factory=dict)  # by model id, this process

    def attempt(self, record: AttemptRecord) -> None:
        """Keep one attempt (written with the next batch)."""
        self._attempts.append(record)
        self.last_call_at[record.model_id] = record.at
        self._flush_if_due()

    def request(self, record: RequestRecord) -> None:
        """Keep one request's outcome (written with the next batch)."""
        self._requests.append(record)
        self._flush_if_due()

    def flush(self) -> None:
        """Write everything buffered now; on a store failure, log and drop the batch
        (statistics are worth less than the requests they describe)."""
        self._flushed_at = self.monotonic()
        attempts, requests = self._attempts, self._requests
        if not attempts and not requests:
            return
        self._attempts, self._requests = [], []
        try:
            self.state.record_outcomes(attempts, requests)
        except StoreError as exc:
            log.warning("neoclone.state_unavailable", operation="record_outcomes", error=str(exc))

    def model_stats(self, *, fresh: bool = False) -> Mapping[str, ModelStats]:
        """Each model's statistics, at most `refresh_s` old (or `fresh` from the store)."""
        now = self.monotonic()
        if fresh or self._stats is None or now - self._stats_at >= self.refresh_s:
            self.flush()
            try:
                self._stats = self.state.model_stats()
            except StoreError as exc:
                log.warning("neoclone.state_unavailable", operation="model_stats", error=str(exc))
                self._stats = self._stats or {}
            self._stats_at = now
        return self._stats

    def _flush_if_due(self) -> None:
        now = self.monotonic()
        if self._flushed_at is None:
            self._flushed_at = now
        pending = len(self._attempts) + len(self._requests)
        if pending >= self.flush_every or now - self._flushed_at >= self.flush_s:
            self.flush()
