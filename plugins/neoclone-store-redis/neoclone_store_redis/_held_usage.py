"""What an outage kept from the usage ledger, written when Redis answers again.

The engine sends a call whose reservation failed for an outage (fail open), so the
request was spent all the same; leaving it out of the ledger would let every instance
spend it again. Statements the providers made meanwhile are kept too (the latest of
each scope and unit), with what this instance had spent of the scope before each, so
that what is left by a statement is reckoned as if Redis had been there all along.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

import attrs
import redis

from neoclone_core.quota import Allowance
from neoclone_core.state.usage import REQUESTS, TOKENS, Claim
from neoclone_store_redis import _usage_values as values
from neoclone_store_redis._usage import TOTAL_TTL_S

_TOTAL = "|total"  # a held spend of a scope's running total, by scope


@attrs.define
class HeldUsage:
    """Spends by (window key or scope + `|total`, bucket start): [requests, tokens,
    time to live in ms]; statements by (scope, key, unit): the allowance, when it was
    said, and this instance's held spends of the scope then."""

    spends: dict[tuple[str, str], list[int]] = attrs.field(factory=dict)
    statements: dict[tuple[str, str, str], tuple[Allowance, float, dict[str, int]]] = attrs.field(
        factory=dict
    )
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def spent(
        self, claims: Sequence[Claim], scopes: Sequence[tuple[str, str]], tokens: int, now: float
    ) -> None:
        """Hold a reservation an outage refused."""
        with self._lock:
            for claim in claims:
                period = claim.window.period
                self._add(
                    (claim.window.key, values.start_text(period.bucket(now))),
                    1,
                    tokens,
                    values.ttl_ms(period, now),
                )
            for scope in scopes:
                self._add((values.joined(scope) + _TOTAL, "0"), 1, tokens, TOTAL_TTL_S * 1000)

    def said(self, scope: str, credential: str, said: Mapping[str, Allowance], now: float) -> None:
        """Hold the latest statement of each unit of a scope."""
        with self._lock:
            requests, tokens, _ = self.spends.get(
                (values.joined((scope, credential)) + _TOTAL, "0"), [0, 0, 0]
            )
            for unit, allowance in said.items():
                held_then = {REQUESTS: requests, TOKENS: tokens}
                self.statements[(scope, credential, unit)] = (allowance, now, held_then)

    def take(self) -> HeldUsage:
        """Everything held, moved out (put back with `restore` if writing it failed)."""
        with self._lock:
            taken = HeldUsage(self.spends, self.statements)
            self.spends, self.statements = {}, {}
        return taken

    def restore(self, taken: HeldUsage) -> None:
        """Hold again what `take` moved out, with anything held since."""
        with self._lock:
            for held, (requests, tokens, ttl_ms) in taken.spends.items():
                self._add(held, requests, tokens, ttl_ms)
            for key, said in taken.statements.items():
                self.statements.setdefault(key, said)

    def queue(self, r: redis.Redis, pipe: redis.client.Pipeline, key: Callable[..., str]) -> bool:
        """Queue on `pipe` the writes of what is held (reading the running totals of the
        scopes stated first, on `r`); whether there was anything."""
        scopes = sorted({(scope, credential) for scope, credential, _ in self.statements})
        read = r.pipeline(transaction=False)
        for stated in scopes:
            read.hgetall(key("usage-total", values.joined(stated)))
        totals = dict(zip(scopes, (values.total_of(t) for t in read.execute()), strict=True))
        for (name, credential, unit), (allowance, now, held_then) in self.statements.items():
            stored = totals[(name, credential)]
            then = {u: stored[u] + held_then[u] for u in (REQUESTS, TOKENS)}
            statement = values.statement_text(allowance, now, then)
            pipe.hset(key("usage-stated"), values.stated_field((name, credential), unit), statement)
        for (held, start), (requests, tokens, ttl_ms) in self.spends.items():
            total = held.endswith(_TOTAL)
            name = key("usage-total", held.removesuffix(_TOTAL)) if total else key("usage", held)
            pipe.hincrby(name, f"r:{start}", requests)
            pipe.hincrby(name, f"t:{start}", tokens)
            pipe.pexpire(name, ttl_ms, nx=True)  # a hash already there keeps its own
            if not total:
                pipe.sadd(key("usage-windows"), name)
        return bool(self.spends or self.statements)

    def _add(self, held: tuple[str, str], requests: int, tokens: int, ttl_ms: int) -> None:
        spend = self.spends.setdefault(held, [0, 0, ttl_ms])
        spend[0] += requests
        spend[1] += tokens
        spend[2] = max(spend[2], ttl_ms)


__all__ = ["HeldUsage"]
