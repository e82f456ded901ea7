"""The usage ledger in Redis (`UsageLedger`; the contract is in `neoclone_core.state.usage`),
shared by every instance, so two gateways on one Redis spend one budget.

Why it is built this way:

- **One hash per window** (`usage:<scope>|<key>|<period>`), a field pair per bucket
  (`r:<start>` requests, `t:<start>` tokens) and the limits last claimed: a reservation
  reads the claimed windows and the standing statements under `WATCH`, decides with the
  core's own rules (`count_shortfall`, `stated_shortfall`), and spends in one
  `MULTI`/`EXEC`; when another instance spent meanwhile, `EXEC` fails and the check runs
  again on the new counts. Instances can therefore never spend together more than a
  window holds, and the rule is the embedded store's, written once in the core.
- **Expiring keys**: each window's hash expires when its newest bucket stops counting
  (a minute and a twelfth after it, or the calendar day's end), so Redis keeps no usage
  that no longer counts; buckets that aged out are deleted with the next spend. The time
  to live is counted from the ledger's `now`, not from Redis's clock.
- **A running total per scope and key** (`usage-total:<scope>|<key>`): a provider's
  statement ("3 left") is kept with the total at that moment, in the hash `usage-stated`,
  so what is left later is the 3 less what every instance spent since.
- **Outages as for the rest of the store**: a call raises `StoreError` (the engine then
  decides without the ledger, fail open); the requests reserved during an outage were
  sent all the same, so they are held, with the statements read meanwhile, and written
  as soon as Redis answers again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import redis

from neoclone_core.errors import StoreError
from neoclone_core.quota import QuotaReading
from neoclone_core.state.usage import (
    REQUESTS,
    TOKENS,
    Claim,
    Count,
    LedgerView,
    Reservation,
    Shortfall,
    Stated,
    Window,
    count_shortfall,
    stated_shortfall,
)
from neoclone_store_redis import _usage_values as values

if TYPE_CHECKING:
    from neoclone_store_redis._held_usage import HeldUsage

T = TypeVar("T")

TOTAL_TTL_S = 2 * 86_400  # a running total outlives any statement made of it
MAX_TRIES = 64  # spends of other instances that may interleave before one is refused

# KEYS: window and total hashes; ARGV: requests delta, tokens delta, then each key's
# bucket start. Adds the deltas to hashes that still exist, never below 0, a value that
# is not a number counting as 0 (a hash that expired meanwhile holds nothing to correct,
# and must not come back without a time to live).
_SETTLE = """
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    for j, unit in ipairs({'r:', 't:'}) do
      local field = unit .. ARGV[i + 2]
      local held = tonumber(redis.call('HGET', key, field)) or 0
      redis.call('HSET', key, field, math.max(held + tonumber(ARGV[j]), 0))
    end
  end
end
return 0
"""

# KEYS[1]: the index of windows; ARGV: window hash names; drops those that expired.
_FORGET_EXPIRED = """
for _, key in ipairs(ARGV) do
  if redis.call('EXISTS', key) == 0 then redis.call('SREM', KEYS[1], key) end
end
return 0
"""


class RedisUsage:
    """The `UsageLedger` methods of `RedisState` (see the module doc); `RedisState`
    provides `_key`, `_call` and `_held_usage`."""

    _held_usage: HeldUsage

    def _key(self, *parts: str) -> str:
        raise NotImplementedError

    def _call(self, operation: Callable[[redis.Redis], Any]) -> Any:
        raise NotImplementedError

    def reserve(self, claims: Sequence[Claim], tokens: int, now: float) -> Reservation | Shortfall:
        """Count one call in every claimed window if all have room (WATCH, then MULTI)."""
        scopes = tuple(dict.fromkeys((c.window.scope, c.window.credential) for c in claims))
        buckets = tuple((c.window.key, c.window.period.bucket(now)) for c in claims)
        windows = [self._key("usage", c.window.key) for c in claims]
        totals = [self._key("usage-total", values.joined(scope)) for scope in scopes]
        stated = self._key("usage-stated")

        def check_and_spend(pipe: redis.client.Pipeline, r: redis.Redis) -> Shortfall | None:
            reads = r.pipeline(transaction=False)  # one round trip, while the keys are watched
            for name in [*windows, *totals]:
                reads.hgetall(name)
            reads.hmget(
                stated,
                [values.stated_field(scope, unit) for scope in scopes for unit in values.UNITS],
            )
            *hashes, said = reads.execute()
            read, spent = hashes[: len(windows)], hashes[len(windows) :]
            shortfall = _count_shortfall(claims, read, tokens, now) or _stated_shortfall(
                claims, scopes, spent, said, tokens=tokens, now=now
            )
            if shortfall is not None:
                return shortfall
            pipe.multi()
            for claim, name, fields in zip(claims, windows, read, strict=True):
                _spend(pipe, name, claim, fields, tokens=tokens, now=now)
            for name in totals:
                pipe.hincrby(name, "r:0", 1)
                pipe.hincrby(name, "t:0", tokens)
                pipe.expire(name, TOTAL_TTL_S)
            pipe.sadd(self._key("usage-windows"), *windows)
            return None

        try:
            watched = [*windows, *totals, stated]
            shortfall = self._call(lambda r: _watched(r, watched, check_and_spend))
        except StoreError:
            self._held_usage.spent(claims, scopes, tokens, now)
            raise
        return shortfall or Reservation(buckets, scopes, tokens, now)

    def settle(self, reservation: Reservation, tokens: int, *, sent: bool = True) -> None:
        """Replace the reserved token estimate by the tokens used; give the request
        back too when the call was never `sent`."""
        delta, requests = tokens - reservation.tokens, 0 if sent else -1
        if delta == 0 and sent:
            return
        keys = [self._key("usage", key) for key, _ in reservation.buckets]
        keys += [self._key("usage-total", values.joined(scope)) for scope in reservation.scopes]
        starts = [values.start_text(start) for _, start in reservation.buckets]
        starts += ["0"] * len(reservation.scopes)
        self._call(lambda r: r.eval(_SETTLE, len(keys), *keys, requests, delta, *starts))

    def observe(self, scope: str, credential: str, reading: QuotaReading, now: float) -> None:
        """Keep what a response said is left of `scope`'s quota, with the total then."""
        total = self._key("usage-total", values.joined((scope, credential)))
        allowances = {REQUESTS: reading.requests, TOKENS: reading.tokens}
        said = {unit: a for unit, a in allowances.items() if a is not None}

        def keep(pipe: redis.client.Pipeline, r: redis.Redis) -> None:
            spent = values.total_of(cast("dict[str, str]", pipe.hgetall(total)))
            pipe.multi()
            for unit, allowance in said.items():
                field = values.stated_field((scope, credential), unit)
                pipe.hset(
                    self._key("usage-stated"), field, values.statement_text(allowance, now, spent)
                )

        try:
            self._call(lambda r: _watched(r, [total], keep))
        except StoreError:
            self._held_usage.said(scope, credential, said, now)
            raise

    def usage(self, now: float) -> LedgerView:
        """Every window's count in its current span, and every standing statement."""
        index = self._key("usage-windows")

        def read(r: redis.Redis) -> tuple[list[str], list[dict[str, str]], dict[str, str]]:
            names = sorted(cast("set[str]", r.smembers(index)))
            pipe = r.pipeline(transaction=False)
            for name in names:
                pipe.hgetall(name)
            pipe.hgetall(self._key("usage-stated"))
            *hashes, stated = pipe.execute()
            gone = [name for name, fields in zip(names, hashes, strict=True) if not fields]
            if gone:
                r.eval(_FORGET_EXPIRED, 1, index, *gone)
            return names, hashes, stated

        names, hashes, stated_rows = self._call(read)
        prefix = self._key("usage", "")
        counts: dict[Window, Count] = {}
        for name, fields in zip(names, hashes, strict=True):
            window = Window.from_key(name.removeprefix(prefix))
            if window is not None and values.counts_now(fields, window.period, now):
                counts[window] = values.count_of(fields, window.period, now)
        return LedgerView(now, counts, self._standing(stated_rows, now))

    def _standing(self, rows: Mapping[str, str], now: float) -> tuple[Stated, ...]:
        """Every statement still standing, each less what its scope spent since."""
        parsed: list[tuple[tuple[str, str], str, str]] = []
        for field, text in sorted(rows.items()):
            scope, credential, unit = ([*field.rsplit("|", 2), "", ""])[:3]
            if unit in values.UNITS:
                parsed.append(((scope, credential), unit, text))
        scopes = sorted({scope for scope, _, _ in parsed})
        if not scopes:
            return ()

        def read(r: redis.Redis) -> list[dict[str, str]]:
            pipe = r.pipeline(transaction=False)
            for scope in scopes:
                pipe.hgetall(self._key("usage-total", values.joined(scope)))
            return cast("list[dict[str, str]]", pipe.execute())

        spent = dict(zip(scopes, self._call(read), strict=True))
        standing = (
            values.stated_of(s, unit, text, values.total_of(spent[s]), now)
            for s, unit, text in parsed
        )
        return tuple(s for s in standing if s is not None)


def _watched(
    r: redis.Redis, keys: Sequence[str], work: Callable[[redis.client.Pipeline, redis.Redis], T]
) -> T:
    """`work` run on a pipeline WATCHing `keys` (it may read them on `r`, in one round
    trip), and its MULTI executed; again while another client changed one of the keys
    first (`MAX_TRIES` times, then StoreError)."""
    with r.pipeline(transaction=True) as pipe:
        for _ in range(MAX_TRIES):
            try:
                pipe.watch(*keys)  # type: ignore[no-untyped-call]
                result = work(pipe, r)
                if pipe.explicit_transaction:
                    pipe.execute()
                else:
                    pipe.unwatch()
            except redis.WatchError:
                pipe.reset()
            else:
                return result
    msg = f"the usage ledger changed {MAX_TRIES} times while one spend was checked"
    raise StoreError(msg)


def _count_shortfall(
    claims: Sequence[Claim], read: Sequence[Mapping[str, str]], tokens: int, now: float
) -> Shortfall | None:
    """The first claimed window whose count leaves no room for the call."""
    for claim, fields in zip(claims, read, strict=True):
        if claim.request_limit is None and claim.token_limit is None:
            continue
        found = count_shortfall(
            claim, values.count_of(fields, claim.window.period, now), tokens, now
        )
        if found is not None:
            return found
    return None


def _stated_shortfall(
    claims: Sequence[Claim],
    scopes: Sequence[tuple[str, str]],
    totals: Sequence[Mapping[str, str]],
    said: Sequence[str | None],
    *,
    tokens: int,
    now: float,
) -> Shortfall | None:
    """The first scope a standing statement leaves no room in (each statement less
    what was spent since it was made); `totals` are the scopes' running totals, `said`
    their statements, two per scope (requests, tokens)."""
    first = {(c.window.scope, c.window.credential): c.window for c in reversed(claims)}
    for index, (scope, total) in enumerate(zip(scopes, totals, strict=True)):
        rows = said[index * len(values.UNITS) : (index + 1) * len(values.UNITS)]
        if not any(rows):
            continue
        spent = values.total_of(total)
        for unit, text in zip(values.UNITS, rows, strict=True):
            statement = values.stated_of(scope, unit, text, spent, now)
            needed = 1 if unit == REQUESTS else tokens
            found = None if statement is None else stated_shortfall(statement, first[scope], needed)
            if found is not None:
                return found
    return None


def _spend(
    pipe: redis.client.Pipeline,
    name: str,
    claim: Claim,
    fields: Mapping[str, str],
    *,
    tokens: int,
    now: float,
) -> None:
    """Queue one window's spend in its current bucket, its limits, its time to live,
    and the deletion of the buckets read that no longer count."""
    period = claim.window.period
    start = period.bucket(now)
    for field, spent in (
        (f"r:{values.start_text(start)}", 1),
        (f"t:{values.start_text(start)}", tokens),
    ):
        held = fields.get(field)
        if held is None or values.number(held, int) is not None:
            pipe.hincrby(name, field, spent)
        else:  # not a count (not ours): replaced, as reading counted it 0
            pipe.hset(name, field, spent)
    limits = [claim.request_limit, claim.token_limit]
    request_limit, token_limit, newest = values.limits_of(fields.get("limits"))
    if newest == start:  # a limit this bucket was spent under is kept (as embedded)
        limits = [
            limits[0] if limits[0] is not None else request_limit,
            limits[1] if limits[1] is not None else token_limit,
        ]
    pipe.hset(name, "limits", json.dumps([*limits, start]))
    pipe.pexpire(name, values.ttl_ms(period, now))
    since = period.counted_from(now)
    stale = [f for f in fields if (s := values.bucket_of(f)) is not None and s < since]
    if stale:
        pipe.hdel(name, *stale)
