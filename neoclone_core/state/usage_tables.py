"""The usage ledger on SQLite (`UsageLedger`, see `usage.py` for the contract).

- **One row per window bucket** (`usage`: key, bucket start, requests, tokens): a
  reservation reads the claimed windows' sums and adds to their current buckets in one
  `BEGIN IMMEDIATE` transaction, so processes sharing the file queue up on the write
  lock and can never spend together more than a window holds.
- **A running total per scope and key** (a `usage` row whose key ends in `|total`,
  bucket 0): a provider's statement ("3 left") is kept with the total at that moment,
  so what is left by the statement later is the 3 less what the total grew since.
- **Bounded**: buckets older than two days are pruned every few hundred reservations.
- **Rebuilt, never a crash**: a damaged file is moved aside by `SQLiteFile`; tables
  missing from a healthy file (dropped by hand, a half-restored backup) are created
  again and the operation retried once; an unreadable value counts as 0.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from neoclone_core.errors import StoreError
from neoclone_core.log import log
from neoclone_core.quota import QuotaReading
from neoclone_core.state.sqlite_file import LEDGER_SCHEMA, SQLiteFile
from neoclone_core.state.usage import (
    REQUESTS,
    Claim,
    Count,
    LedgerView,
    Reservation,
    Shortfall,
    count_shortfall,
    stated_shortfall,
)
from neoclone_core.state.usage_rows import (
    ADD_ROWS,
    Bucket,
    Row,
    ledger_view,
    prune_expired,
    read_all,
    save_statement,
    standing_statements,
    total_key,
    window_counts,
    with_added,
)

FLUSH_AT = 64  # buckets added up in memory before they are written
STATED_S = 1.0  # how often, at most, the scopes with statements are read again
LEASE_MAX = 16  # calls counted ahead at most...
LEASE_SHARE = 16  # ...and at most this share of what is left
LEASE_S = 5.0  # an unused lease is given back after this many seconds
PRUNE_EVERY = 256  # reservations between two prunings
T = TypeVar("T")


@attrs.define
class _Lease:
    """Requests (and tokens) this process counted ahead in `buckets` and has not used
    yet: taken `LEASE_SHARE`-th of what is left at a time, at most `LEASE_MAX`, so that
    most calls of a model with ample quota need no transaction. Unused, they are given
    back (a negative count) when time moves to other buckets, after `LEASE_S`, or at
    `flush_usage` / `close`; until then other processes see them as spent, which can
    only make them stop early, never overspend."""

    buckets: tuple[Bucket, ...]
    requests: int
    tokens: int
    open_tokens: bool  # no token limit among the windows: tokens may run below 0
    taken_at: float = attrs.field(factory=time.monotonic)


class UsageTables(SQLiteFile):
    """The ledger's two tables over the store's connection.

    Only what a limit or a provider's statement depends on is written at once, in the
    atomic reservation; everything else (counts of windows nothing limits, token
    corrections) is added up in memory and written with the next transaction, or once
    `FLUSH_AT` buckets wait, or at `close`: a call of a model without known limits then
    costs no transaction. Another process sees those counts that much later, and a
    crash loses them; neither can let a limit be overspent.
    """

    _reservations = 0
    _pending: dict[Bucket, list[Any]] | None = None  # bucket -> [requests, tokens, limits...]
    _stated_scopes: frozenset[tuple[str, str]] = frozenset()  # scopes with a statement
    _stated_read_at: float | None = None  # time.monotonic() of the last reading
    _leases: dict[tuple[str, ...], _Lease]

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._leases = {}

    def reserve(self, claims: Sequence[Claim], tokens: int, now: float) -> Reservation | Shortfall:
        """Count one call in every claimed window if all have room (one transaction, or
        a unit of this process's lease on the same windows)."""
        buckets = tuple([(c.window.key, c.window.bucket(now)) for c in claims])
        if self._stated_read_at is None or self._since_stated() > STATED_S:
            self._ledger(lambda conn: None)  # reads which scopes have statements
        stated: tuple[tuple[str, str], ...] = ()
        if self._stated_scopes:
            scopes = dict.fromkeys((c.window.scope, c.window.credential) for c in claims)
            stated = tuple(scope for scope in scopes if scope in self._stated_scopes)
        reservation = Reservation(buckets, stated, tokens, now)
        limited = any(c.request_limit is not None or c.token_limit is not None for c in claims)
        if not stated and not limited:
            self._add([(key, start, 1, tokens, None, None) for key, start in buckets])
            return reservation
        if not stated and self._take_lease(buckets, tokens):
            return reservation
        self._reservations += 1
        prune = self._reservations % PRUNE_EVERY == 0

        def work(conn: sqlite3.Connection, added: list[Row]) -> Shortfall | None:
            # What waits in memory is counted, and written with the spending: one write.
            shortfall, room = _shortfall(conn, claims, stated, tokens, now, added=added)
            chunk, chunk_tokens = (1, tokens) if stated else _lease_size(room, tokens)
            rows = [
                (c.window.key, start, chunk, chunk_tokens, c.request_limit, c.token_limit)
                for c, (_, start) in zip(claims, buckets, strict=True)
            ]
            rows += [(total_key(*scope), 0.0, 1, tokens, None, None) for scope in stated]
            if shortfall is None or added:
                conn.executemany(ADD_ROWS, added if shortfall else [*added, *rows])
            if prune:
                prune_expired(conn, now)
            if shortfall is None and chunk > 1:
                self._leases[tuple(k for k, _ in buckets)] = _Lease(
                    buckets, chunk - 1, chunk_tokens - tokens, room[1] is None
                )
            return shortfall

        return self._ledger(work, writes_added=True) or reservation

    def _take_lease(self, buckets: tuple[Bucket, ...], tokens: int) -> bool:
        """Whether one call was taken from this process's lease on `buckets`; a lease on
        other buckets (time moved on), too old, or too small is given back."""
        lease = self._leases.get(tuple(k for k, _ in buckets))
        if lease is None:
            return False
        fits = lease.requests >= 1 and (lease.open_tokens or lease.tokens >= tokens)
        if lease.buckets != buckets or time.monotonic() - lease.taken_at > LEASE_S or not fits:
            self._give_back(tuple(k for k, _ in buckets))
            return False
        lease.requests -= 1
        lease.tokens -= tokens  # below 0 without a token limit: counted in `_give_back`
        return True

    def _give_back(self, ident: tuple[str, ...]) -> None:
        lease = self._leases.pop(ident, None)
        if lease is not None and (lease.requests or lease.tokens):
            self._merge(
                [
                    (k, start, -lease.requests, -lease.tokens, None, None)
                    for k, start in lease.buckets
                ]
            )

    def settle(self, reservation: Reservation, tokens: int, *, sent: bool = True) -> None:
        """Replace the reserved token estimate by the tokens used; give the request
        back too when the call was never `sent` (added up, written with the next
        transaction)."""
        delta, requests = tokens - reservation.tokens, 0 if sent else -1
        if delta == 0 and sent:
            return
        keys = [*reservation.buckets, *((total_key(*s), 0.0) for s in reservation.scopes)]
        self._add([(key, start, requests, delta, None, None) for key, start in keys])

    def flush_usage(self) -> None:
        """Give back this process's leases and write what is added up in memory now."""
        for ident in list(self._leases):
            self._give_back(ident)
        if self._pending:
            self._ledger(lambda conn: None)

    def close(self) -> None:
        """Write what is added up, then close the store."""
        try:
            self.flush_usage()
        except StoreError as exc:
            log.warning("neoclone.state_unavailable", operation="ledger flush", error=str(exc))
        super().close()

    def _add(self, rows: Sequence[Row]) -> None:
        """Add `rows` up in memory, writing them all once `FLUSH_AT` buckets wait."""
        if len(self._merge(rows)) >= FLUSH_AT:
            self.flush_usage()

    def _merge(self, rows: Sequence[Row]) -> dict[Bucket, list[Any]]:
        pending = self._pending
        if pending is None:
            pending = self._pending = {}
        for key, start, requests, tokens, request_limit, token_limit in rows:
            bucket = pending.get((key, start))
            if bucket is None:
                pending[(key, start)] = [requests, tokens, request_limit, token_limit]
            else:
                bucket[0] += requests
                bucket[1] += tokens
        return pending

    def observe(self, scope: str, credential: str, reading: QuotaReading, now: float) -> None:
        """Keep what a response said is left of `scope`'s quota, with the total then."""

        def work(conn: sqlite3.Connection) -> None:
            save_statement(conn, scope, credential, reading, now)
            self._stated_scopes |= {(scope, credential)}

        self._ledger(work)

    def usage(self, now: float) -> LedgerView:
        """Every window's count in its current span, and every standing statement."""

        rows, stated = self._ledger(lambda conn: read_all(conn, now))
        return ledger_view(rows, stated, now)

    def _ledger(self, work: Callable[..., T], *, writes_added: bool = False) -> T:
        """`work` in one write transaction, after what is added up in memory and with
        a fresh reading of which scopes have statements; the ledger's tables created
        again (and `work` retried once) if they are gone."""
        try:
            return self._write(work, writes_added)
        except StoreError as exc:
            if "no such table" not in str(exc.__cause__ or ""):
                raise
            log.warning("neoclone.ledger_rebuilt", path=str(self.path), reason=str(exc.__cause__))
        with self._transaction("IMMEDIATE") as conn:
            for statement in LEDGER_SCHEMA:
                conn.execute(statement)
        return self._write(work, writes_added)

    def _write(self, work: Callable[..., T], writes_added: bool) -> T:
        """`work(conn)` in one write transaction, after writing what is added up in
        memory (or `work(conn, added)`, which writes it, when `writes_added`), reading
        which scopes have statements again when that was more than `STATED_S` ago."""
        pending, self._pending = self._pending, None
        added: list[Row] = [(*b, *v) for b, v in pending.items()] if pending else []
        try:
            with self._transaction("IMMEDIATE") as conn:
                if self._stated_read_at is None or self._since_stated() > STATED_S:
                    # Every scope with a statement, standing or not (expired ones are
                    # pruned with the buckets): they take the atomic path.
                    scopes = conn.execute("SELECT DISTINCT scope, credential FROM usage_stated")
                    self._stated_scopes = frozenset(scopes)
                    self._stated_read_at = time.monotonic()
                if writes_added:
                    return work(conn, added)
                if added:
                    conn.executemany(ADD_ROWS, added)
                return work(conn)
        except BaseException:
            if added:  # not written: kept for the next transaction
                self._merge(added)
            raise

    def _since_stated(self) -> float:
        return time.monotonic() - (self._stated_read_at or 0.0)


def _shortfall(
    conn: sqlite3.Connection,
    claims: Sequence[Claim],
    scopes: Sequence[tuple[str, str]],
    tokens: int,
    now: float,
    *,
    added: Sequence[Row],
) -> tuple[Shortfall | None, tuple[int | None, int | None]]:
    """The first claimed window without room for the call, counted (with what is
    `added` but not written yet) or stated; and the room the limited windows have
    (requests and tokens left in the tightest, None where nothing limits them)."""
    limited = [c for c in claims if c.request_limit is not None or c.token_limit is not None]
    room: tuple[int | None, int | None] = (None, None)
    if limited:
        counts = with_added(window_counts(conn, limited, now), limited, added, now)
        for claim in limited:
            count = counts.get(claim.window.key, Count())
            found = count_shortfall(claim, count, tokens, now)
            if found is not None:
                return found, room
            room = (
                _least(room[0], claim.request_limit, count.requests),
                _least(room[1], claim.token_limit, count.tokens),
            )
    first = {(c.window.scope, c.window.credential): c.window for c in reversed(claims)}
    for scope in scopes:
        for statement in standing_statements(conn, *scope, now):
            needed = 1 if statement.unit == REQUESTS else tokens
            found = stated_shortfall(statement, first[scope], needed)
            if found is not None:
                return found, room
    return None, room


def _least(room: int | None, limit: int | None, used: int) -> int | None:
    if limit is None:
        return room
    left = limit - used
    return left if room is None else min(room, left)


def _lease_size(room: tuple[int | None, int | None], tokens: int) -> tuple[int, int]:
    """How many calls, and tokens, to count ahead: a `LEASE_SHARE`-th of the room left,
    at most `LEASE_MAX` calls, at least this one."""
    requests_left, tokens_left = room
    chunk = LEASE_MAX if requests_left is None else min(requests_left // LEASE_SHARE, LEASE_MAX)
    chunk = max(chunk, 1)
    if tokens_left is None:
        return chunk, tokens * chunk
    chunk_tokens = max(min(tokens * chunk, tokens_left // LEASE_SHARE), tokens)
    if tokens > 0:
        chunk = max(min(chunk, chunk_tokens // tokens), 1)
    return chunk, chunk_tokens
