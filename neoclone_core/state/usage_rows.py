"""The usage ledger's rows as SQLite holds them (`usage_tables.UsageTables` decides
what to write): the SQL, each claimed window's count, the running totals and the
providers' statements, read back tolerantly (an unreadable value counts as 0, a row that
is not ours is left out).

- A window bucket is a `usage` row (key, bucket start, requests, tokens, the limits last
  claimed); a scope's running total is a `usage` row whose key ends in `|total`, bucket 0.
- A statement ("3 left") is a `usage_stated` row kept with the total at that moment, so
  what is left by it later is the 3 less what the total grew since.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import attrs

from neoclone_core.quota import Allowance, QuotaReading
from neoclone_core.state.usage import (
    REQUESTS,
    TOKENS,
    Claim,
    Count,
    LedgerView,
    Stated,
    Window,
)

TOTAL = "total"  # the period part of a scope's running-total key
KEEP_S = 2 * 86_400.0  # buckets older than this are pruned
STATED_DEFAULT_S = 60.0  # how long a statement without a reset time stands

_STATED_COLUMNS = "scope, credential, unit, remaining, lim, reset_at, said_at, total_then"
ADD_ROWS = (
    "INSERT INTO usage (key, start, requests, tokens, request_limit, token_limit)"
    " VALUES (?, ?, MAX(?, 0), MAX(?, 0), ?, ?) ON CONFLICT (key, start) DO UPDATE SET"
    " requests = MAX(requests + ?3, 0), tokens = MAX(tokens + ?4, 0),"
    " request_limit = COALESCE(excluded.request_limit, request_limit),"
    " token_limit = COALESCE(excluded.token_limit, token_limit)"
)
"""Adds a `Row`'s usage to its bucket (never below 0), keeping the limits last claimed."""
_SUMS = "SELECT SUM(requests), SUM(tokens) FROM usage WHERE key = ? AND start >= ?"
_OLDEST = "SELECT MIN(start) FROM usage WHERE key = ? AND start >= ? AND requests > 0"
_STATE = f"INSERT OR REPLACE INTO usage_stated ({_STATED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
Bucket = tuple[str, float]
Row = tuple[str, float, int, int, "int | None", "int | None"]  # bucket, usage, limits


def total_key(scope: str, credential: str) -> str:
    """The key of a scope's running total for one credential."""
    return f"{scope}|{credential}|{TOTAL}"


def save_statement(
    conn: sqlite3.Connection, scope: str, credential: str, reading: QuotaReading, now: float
) -> None:
    """Keep what a response said is left of `scope`'s quota, with the total then."""
    totals = _totals(conn, scope, credential)
    for unit, allowance in ((REQUESTS, reading.requests), (TOKENS, reading.tokens)):
        if allowance is not None:
            row = (scope, credential, unit, *_statement(allowance, now), totals[unit])
            conn.execute(_STATE, row)


def read_all(conn: sqlite3.Connection, now: float) -> tuple[list[Any], list[Any]]:
    """Every bucket and total row, and every standing statement's (after pruning)."""
    prune_expired(conn, now)
    rows = conn.execute(
        "SELECT key, start, requests, tokens, request_limit, token_limit FROM usage"
    ).fetchall()
    stated = conn.execute(
        f"SELECT {_STATED_COLUMNS} FROM usage_stated WHERE reset_at > ?", (now,)
    ).fetchall()
    return rows, stated


def ledger_view(rows: list[Any], stated: list[Any], now: float) -> LedgerView:
    """What `read_all` read, as every window's count in its current span and every
    standing statement."""
    counts: dict[Window, Count] = {}
    totals: dict[str, tuple[int, int]] = {}
    for key, start, stored_requests, stored_tokens, request_limit, token_limit in rows:
        requests, tokens = _int(stored_requests), _int(stored_tokens)
        if key.endswith("|" + TOTAL):
            totals[key] = (requests, tokens)
            continue
        window = Window.from_key(key)
        if window is None or _float(start) < window.period.counted_from(now):
            continue
        at = _float(start)
        bucket = Count(requests, tokens, at, _limit(request_limit), _limit(token_limit), at)
        counts[window] = _add(counts.get(window), bucket)
    standing = [_stated(row, totals) for row in stated]
    return LedgerView(now, counts, tuple(s for s in standing if s is not None))


def with_added(
    counts: dict[str, Count], claims: Sequence[Claim], added: Sequence[Row], now: float
) -> dict[str, Count]:
    """`counts` with the usage `added` in memory to the claimed windows' counted buckets."""
    if not added:
        return counts
    counted_from = {c.window.key: c.window.period.counted_from(now) for c in claims}
    for key, start, requests, tokens, *_ in added:
        if key in counted_from and start >= counted_from[key]:
            count = counts.get(key, Count())
            counts[key] = attrs.evolve(
                count, requests=count.requests + requests, tokens=count.tokens + tokens
            )
    return counts


def window_counts(
    conn: sqlite3.Connection, claims: Sequence[Claim], now: float
) -> dict[str, Count]:
    """Each claimed window's count: one range read of its key's buckets on the primary
    key (a query per window is faster than one query for all: SQLite runs an OR of
    ranges through a sorter); the oldest bucket only where a limit is reached."""
    counts = {}
    for claim in claims:
        key, counted_from = claim.window.key, claim.window.period.counted_from(now)
        requests, tokens = conn.execute(_SUMS, (key, counted_from)).fetchone()
        count = Count(_int(requests), _int(tokens))
        if _reached(claim, count):
            oldest = conn.execute(_OLDEST, (key, counted_from)).fetchone()[0]
            count = attrs.evolve(count, oldest=oldest)
        counts[key] = count
    return counts


def _reached(claim: Claim, count: Count) -> bool:
    """Whether `count` leaves the claim's window with little room (its reset may be
    needed to say when it gives room back)."""
    return (claim.request_limit is not None and count.requests >= claim.request_limit - 1) or (
        claim.token_limit is not None and count.tokens >= claim.token_limit // 2
    )


def standing_statements(
    conn: sqlite3.Connection, scope: str, credential: str, now: float
) -> list[Stated]:
    """The statements about one scope and key that still stand at `now`."""
    rows = conn.execute(
        f"SELECT {_STATED_COLUMNS} FROM usage_stated"
        " WHERE scope = ? AND credential = ? AND reset_at > ?",
        (scope, credential, now),
    ).fetchall()
    if not rows:
        return []
    totals = _totals(conn, scope, credential)
    key = total_key(scope, credential)
    standing = [_stated(row, {key: (totals[REQUESTS], totals[TOKENS])}) for row in rows]
    return [s for s in standing if s is not None]


def _totals(conn: sqlite3.Connection, scope: str, credential: str) -> dict[str, int]:
    row = conn.execute(
        "SELECT requests, tokens FROM usage WHERE key = ? AND start = 0",
        (total_key(scope, credential),),
    ).fetchone()
    requests, tokens = (0, 0) if row is None else (_int(row[0]), _int(row[1]))
    return {REQUESTS: requests, TOKENS: tokens}


def _statement(allowance: Allowance, now: float) -> tuple[int, int | None, float, float]:
    reset_at = allowance.reset_at if allowance.reset_at is not None else now + STATED_DEFAULT_S
    return max(allowance.remaining, 0), allowance.limit, reset_at, now


def _stated(row: tuple[object, ...], totals: dict[str, tuple[int, int]]) -> Stated | None:
    scope, credential, unit, remaining, limit, reset_at, said_at, total_then = row
    if (
        not isinstance(scope, str)
        or not isinstance(credential, str)
        or unit not in (REQUESTS, TOKENS)
    ):
        return None
    now_total = totals.get(total_key(scope, credential), (0, 0))[0 if unit == REQUESTS else 1]
    spent_since = max(now_total - _int(total_then), 0)
    left = _int(remaining) - spent_since
    lim = None if limit is None else _int(limit)
    return Stated(scope, credential, str(unit), left, lim, _float(reset_at), _float(said_at))


def _add(count: Count | None, bucket: Count) -> Count:
    """`count` with one more bucket: its usage added, the oldest used bucket's start and
    the newest bucket's limits kept."""
    if count is None:
        return bucket if bucket.requests > 0 else attrs.evolve(bucket, oldest=None)
    oldest = count.oldest
    if bucket.requests > 0 and (oldest is None or (bucket.oldest or 0) < oldest):
        oldest = bucket.oldest
    newer = count.newest is None or (bucket.newest or 0) > count.newest
    limits = bucket if newer else count
    return Count(
        count.requests + bucket.requests,
        count.tokens + bucket.tokens,
        oldest,
        limits.request_limit,
        limits.token_limit,
        limits.newest,
    )


def _limit(value: object) -> int | None:
    return None if value is None else _int(value)


def prune_expired(conn: sqlite3.Connection, now: float) -> None:
    """Delete the buckets older than `KEEP_S` and the statements that no longer stand."""
    conn.execute("DELETE FROM usage WHERE start > 0 AND start < ?", (now - KEEP_S,))
    conn.execute("DELETE FROM usage_stated WHERE reset_at <= ?", (now,))


def _int(value: object) -> int:
    """A stored count as an int; anything unreadable (a damaged row) counts as 0."""
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return 0


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
