"""The usage ledger: requests and tokens spent per model, per provider account and per
key, in the windows free tiers are counted in, and the `UsageLedger` protocol a store
implements to keep it.

The contract (what the engine relies on; a store plugin implements the same):

- `reserve(claims, tokens, now)` is **one atomic check-and-spend**: either every claimed
  window has room for one more request and `tokens` more tokens, and all of them are
  counted at once (`Reservation`), or none is counted and the first window that is out
  is returned (`Shortfall`). Several processes or instances sharing one ledger must never
  spend together more than a window's limit: the embedded SQLite store does it in one
  `BEGIN IMMEDIATE` transaction; a Redis store does it in one Lua script (check every
  counter, then `INCRBY` each, `EXPIRE` at the window's end).
- `settle(reservation, tokens, sent=True)` replaces the reserved token estimate by the
  tokens the response's `usage` reported; requests stay counted (a call sent is a call
  spent, whatever came back), unless `sent=False` says it never left this machine.
- `observe(scope, credential, reading, now)` keeps what the provider said is left; until
  the reading's reset time, what is left of that scope is at most the stated
  remainder minus what was reserved since (what the provider says wins).
- `usage(now)` reads every window's count and every standing observation, for the
  budget, the scoring and `neoclone quota`; it claims nothing.
- A ledger that is damaged or missing is rebuilt empty, never a crash; a ledger that
  cannot be reached raises `StoreError`, on which the engine carries on (fail open).

Windows are counted in buckets (`Period`): a calendar day (UTC or Pacific) is one
bucket; a sliding window (a minute, a sliding day) is twelve buckets of a twelfth of its
span, and a request counts until the bucket it fell in is a whole span old, so it ages
out between one span and one span plus a bucket after it was made: never too early,
which is what keeps a sliding limit from being overspent.

Keys are named by a short fingerprint of the API key (`credential`), never the key.
"""

from __future__ import annotations

import datetime
import enum
import functools
import math
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs

from neoclone_core.quota import QuotaReading

_DAY_S, _MINUTE_S = 86_400.0, 60.0
SLIDING_BUCKETS = 12
REQUESTS, TOKENS = "requests", "tokens"


class Period(str, enum.Enum):
    """A window's length and reset rule."""

    MINUTE = "minute"  # the last 60 seconds
    DAY_UTC = "day-utc"  # since midnight UTC
    DAY_PACIFIC = "day-pacific"  # since midnight in Los Angeles (Gemini)
    DAY_SLIDING = "day-sliding"  # the last 24 hours

    def __str__(self) -> str:
        return self.value

    @property
    def sliding(self) -> bool:
        """Whether the window slides (else it is a calendar day)."""
        return self in (Period.MINUTE, Period.DAY_SLIDING)

    @property
    def span_s(self) -> float:
        """The window's length in seconds (a calendar day's nominal 24 hours)."""
        return _MINUTE_S if self is Period.MINUTE else _DAY_S

    @property
    def per(self) -> str:
        """How a limit of this window is said: "a minute", "today", "a day"."""
        if self is Period.MINUTE:
            return "a minute"
        return "in 24 hours" if self is Period.DAY_SLIDING else "today"

    def bucket(self, now: float) -> float:
        """The start of the bucket a request made at `now` is counted in."""
        if self.sliding:
            width = self.span_s / SLIDING_BUCKETS
            return math.floor(now / width) * width
        return self.day(now)[0]

    def counted_from(self, now: float) -> float:
        """The oldest bucket start still counted at `now`."""
        if self.sliding:
            return self.bucket(now) - self.span_s
        return self.day(now)[0]

    def resets_at(self, now: float, oldest: float | None) -> float:
        """When the window next gives room back: the next midnight of a calendar day; for
        a sliding window, when the oldest bucket holding usage (`oldest`) ages out."""
        if self.sliding:
            start = self.bucket(now) if oldest is None else oldest
            return start + self.span_s + self.span_s / SLIDING_BUCKETS
        return self.day(now)[1]

    def day(self, now: float) -> tuple[float, float]:
        """The calendar day holding `now`: its start and end, POSIX seconds."""
        if self is Period.DAY_PACIFIC:
            return _pacific_day(int(now // 3600))
        start = math.floor(now / _DAY_S) * _DAY_S
        return start, start + _DAY_S


@functools.lru_cache(maxsize=8)
def _pacific_day(hour: int) -> tuple[float, float]:
    """The Los Angeles calendar day holding the hour `hour` (hours since the epoch):
    cached, since the zone arithmetic costs more than the rest of a reservation."""
    zone = _pacific_zone()
    local = datetime.datetime.fromtimestamp(hour * 3600, zone)
    start = datetime.datetime.combine(local.date(), datetime.time(), zone)
    end = datetime.datetime.combine(
        local.date() + datetime.timedelta(days=1), datetime.time(), zone
    )
    return start.timestamp(), end.timestamp()


def _pacific_zone() -> datetime.tzinfo:
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo("America/Los_Angeles")
    except Exception:  # no time zone database: Pacific standard time, an hour off in summer
        return datetime.timezone(datetime.timedelta(hours=-8))


@attrs.frozen
class Window:
    """One counter of the ledger: what `scope` (a model id, or `provider:<name>` for an
    account-wide limit) spent with the key `credential` ("" without one) in `period`."""

    scope: str
    credential: str
    period: Period
    key: str = attrs.field(init=False, eq=False, repr=False)
    """The counter's name in the store (made once: every reservation reads it)."""
    width: float = attrs.field(init=False, eq=False, repr=False)
    """A sliding window's bucket width in seconds; 0 for a calendar day."""

    @key.default
    def _key(self) -> str:
        return f"{self.scope}|{self.credential}|{self.period.value}"

    @width.default
    def _width(self) -> float:
        return self.period.span_s / SLIDING_BUCKETS if self.period.sliding else 0.0

    def bucket(self, now: float) -> float:
        """`Period.bucket`, with the width worked out once (every reservation asks)."""
        if self.width:
            return math.floor(now / self.width) * self.width
        return self.period.day(now)[0]

    @classmethod
    def from_key(cls, key: str) -> Window | None:
        """The window a stored key names; None for one this version cannot read."""
        scope, _, rest = key.partition("|")
        credential, _, period = rest.partition("|")
        try:
            return cls(scope, credential, Period(period))
        except ValueError:
            return None


@attrs.frozen
class Claim:
    """A window a call is counted in, with the limits the call must fit (None: counted,
    not limited)."""

    window: Window
    request_limit: int | None = None
    token_limit: int | None = None


@attrs.frozen
class Reservation:
    """The windows one call was counted in: the buckets (key, start) and the token
    estimate reserved, for `settle`; the (scope, credential) pairs whose totals grew."""

    buckets: tuple[tuple[str, float], ...]
    scopes: tuple[tuple[str, str], ...]
    tokens: int
    at: float


@attrs.frozen
class Shortfall:
    """Why a reservation was refused: `window` has `left` of `limit` `unit` (requests or
    tokens) and the call needed `needed`; it gives room back at `resets_at`. `stated`
    when the limit is what the provider's headers said, not the catalog's."""

    window: Window
    unit: str
    left: int
    limit: int | None
    needed: int
    resets_at: float
    stated: bool = False


@attrs.frozen
class Count:
    """What a window holds now: requests and tokens counted, the start of the oldest
    bucket holding any (None when empty), and the limits the last reservation claimed
    (kept with the counts, so that any process reading the ledger knows them)."""

    requests: int = 0
    tokens: int = 0
    oldest: float | None = None
    request_limit: int | None = None
    token_limit: int | None = None
    newest: float | None = None  # the newest bucket's start, whose limits are kept


@attrs.frozen
class Stated:
    """What the provider last said of a scope's quota of one `unit`, less what was
    reserved since: `left` of `limit`, until `reset_at`."""

    scope: str
    credential: str
    unit: str
    left: int
    limit: int | None
    reset_at: float
    said_at: float


@attrs.frozen
class LedgerView:
    """The whole ledger at one time: every window's count (in its current span) and
    every statement still standing."""

    now: float
    counts: Mapping[Window, Count] = attrs.field(factory=dict)
    stated: Sequence[Stated] = ()


@runtime_checkable
class UsageLedger(Protocol):
    """Where requests and tokens are counted (see the module docstring for the
    contract). Every method may raise `StoreError`."""

    def reserve(self, claims: Sequence[Claim], tokens: int, now: float) -> Reservation | Shortfall:
        """Count one call of `tokens` estimated tokens in every claimed window, if all of
        them have room, atomically; else count nothing and say which window is out."""
        ...

    def settle(self, reservation: Reservation, tokens: int, *, sent: bool = True) -> None:
        """Replace the reservation's token estimate by the `tokens` actually used, and
        give the request back when the call was never `sent` (no key, no connection)."""
        ...

    def observe(self, scope: str, credential: str, reading: QuotaReading, now: float) -> None:
        """Keep what a response said is left of `scope`'s quota for the key."""
        ...

    def usage(self, now: float) -> LedgerView:
        """Every window's count and every standing statement at `now`."""
        ...


def stated_shortfall(stated: Stated, window: Window, needed: int) -> Shortfall | None:
    """The shortfall a standing statement makes for a call needing `needed` more, or None."""
    if stated.left >= needed:
        return None
    return Shortfall(
        window, stated.unit, max(stated.left, 0), stated.limit, needed, stated.reset_at, True
    )


def count_shortfall(claim: Claim, count: Count, tokens: int, now: float) -> Shortfall | None:
    """The shortfall of `claim`'s window holding `count`, for one call of `tokens`."""
    period = claim.window.period
    for unit, used, limit, needed in (
        (REQUESTS, count.requests, claim.request_limit, 1),
        (TOKENS, count.tokens, claim.token_limit, tokens),
    ):
        if limit is not None and used + needed > limit:
            left = max(limit - used, 0)
            return Shortfall(
                claim.window, unit, left, limit, needed, period.resets_at(now, count.oldest)
            )
    return None
