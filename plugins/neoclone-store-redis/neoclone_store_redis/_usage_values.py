"""The usage ledger's values as Redis holds them, read back tolerantly: a window's hash
(`r:<bucket start>` requests, `t:<bucket start>` tokens, `limits` as JSON), a scope's
running total (`r:0`, `t:0`), a provider's statement (a JSON array). A value that is not
ours counts as nothing, as in the embedded store."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from neoclone_core.quota import Allowance
from neoclone_core.state.usage import REQUESTS, TOKENS, Count, Period, Stated

T = TypeVar("T")

STATED_DEFAULT_S = 60.0  # how long a statement without a reset time stands (as embedded)
EXPIRY_MARGIN_S = 60.0  # kept this much longer, for instances whose clocks differ a little
UNITS = (REQUESTS, TOKENS)
_FIELD = {REQUESTS: "r", TOKENS: "t"}


def ttl_ms(period: Period, now: float) -> int:
    """How long a window spent in at `now` must be kept: until its newest bucket
    stops counting, and a margin."""
    return max(int((period.resets_at(now, None) - now + EXPIRY_MARGIN_S) * 1000), 1)


def count_of(fields: Mapping[str, str], period: Period, now: float) -> Count:
    """A window's count at `now` from its hash: the buckets still counted summed, the
    oldest holding a request, the limits last claimed. Unreadable values count as 0."""
    since = period.counted_from(now)
    requests: dict[float, int] = {}
    tokens = 0
    for field, value in fields.items():
        start = bucket_of(field)
        if start is None or start < since:
            continue
        if field.startswith("r:"):
            requests[start] = requests.get(start, 0) + (number(value, int) or 0)
        else:
            tokens += number(value, int) or 0
    used = [start for start, n in requests.items() if n > 0]
    request_limit, token_limit, newest = limits_of(fields.get("limits"))
    return Count(
        max(sum(requests.values()), 0),
        max(tokens, 0),
        min(used) if used else None,
        request_limit,
        token_limit,
        newest,
    )


def counts_now(fields: Mapping[str, str], period: Period, now: float) -> bool:
    """Whether a window's hash holds a bucket still counted at `now`."""
    since = period.counted_from(now)
    return any((start := bucket_of(f)) is not None and start >= since for f in fields)


def bucket_of(field: str) -> float | None:
    """The bucket start a field `r:<start>` or `t:<start>` counts; None for others."""
    if field[:2] not in ("r:", "t:"):
        return None
    return number(field[2:], float)


def limits_of(text: str | None) -> tuple[int | None, int | None, float | None]:
    try:
        request_limit, token_limit, newest = json.loads(text or "")
        return optional_int(request_limit), optional_int(token_limit), float(newest)
    except (ValueError, TypeError):
        return None, None, None


def total_of(fields: Mapping[str, str]) -> dict[str, int]:
    return {unit: number(fields.get(f"{_FIELD[unit]}:0"), int) or 0 for unit in UNITS}


def statement_text(allowance: Allowance, now: float, spent: Mapping[str, int]) -> str:
    reset_at = allowance.reset_at if allowance.reset_at is not None else now + STATED_DEFAULT_S
    values = [max(allowance.remaining, 0), allowance.limit, reset_at, now, dict(spent)]
    return json.dumps(values, separators=(",", ":"))


def stated_of(
    scope: tuple[str, str], unit: str, text: str | None, spent: Mapping[str, int], now: float
) -> Stated | None:
    """The statement stored as `text`, less what was spent since it was made; None when
    there is none, it no longer stands, or it is not one of ours."""
    if text is None:
        return None
    try:
        remaining, limit, reset_at, said_at, spent_then = json.loads(text)
        left = int(remaining) - max(spent[unit] - int(spent_then[unit]), 0)
        statement = Stated(
            scope[0], scope[1], unit, left, optional_int(limit), float(reset_at), float(said_at)
        )
    except (ValueError, TypeError, KeyError):
        return None
    return statement if statement.reset_at > now else None


def stated_field(scope: tuple[str, str], unit: str) -> str:
    """A statement's field in `usage-stated`."""
    return f"{scope[0]}|{scope[1]}|{unit}"


def joined(scope: tuple[str, str]) -> str:
    return f"{scope[0]}|{scope[1]}"


def start_text(start: float) -> str:
    """A bucket start as a field name: the same text for the same start everywhere."""
    return repr(float(start))


def optional_int(value: object) -> int | None:
    return None if value is None else number(value, int)


def number(value: object, kind: Callable[[Any], T]) -> T | None:
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None
