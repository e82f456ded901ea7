"""`RedisState`: the engine's `EngineState` kept in Redis, shared by every instance.

Why it is built this way:

- **The synchronous client, with short timeouts and no retries**: the engine calls its
  state synchronously, off the hot path but on the event loop (a sync every
  `state_sync_s`, a write when a breaker or cooldown changes, a statistics batch every
  few seconds). A call must therefore be short or fail fast: 0.5 s to connect or
  answer, and redis-py's own retries switched off (they would multiply the wait).
- **Fail open, and say so once**: when Redis stops answering, every method raises
  `StoreError`, which the engine logs and survives by deciding from its local view.
  Nothing is sent to Redis for `retry_s` after a failure, so an outage costs requests
  nothing; `neoclone.store_unavailable` is logged when an outage starts and
  `neoclone.store_recovered` when Redis answers again.
- **Nothing learnt during an outage is lost**: breaker and cooldown changes that could
  not be written are kept (the latest per key) and written as soon as Redis is back,
  so the other instances learn of the 429 this one saw; so are the requests spent and
  the provider statements read meanwhile (`_held_usage.HeldUsage`). Statistics batches
  of the outage are dropped, as the engine drops them for any store.
- **The later state wins**: every breaker and cooldown write is a script that keeps
  the stored value when it changed later (breakers) or ends later (cooldowns), the
  rule the engine reads them back by: a change held back by an outage, written long
  after, never replaces what another instance stored meanwhile.
- **One hash per kind of state, one list per model and per session**: a sync is two
  `HGETALL`s; a statistics batch is one `MULTI` of `RPUSH` + `LTRIM`, so each list keeps
  only the newest `max_attempts_per_model` (or `max_requests_per_session`) items.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

import attrs
import redis
import structlog
from redis.backoff import NoBackoff
from redis.retry import Retry

from neoclone_core import (
    AttemptRecord,
    BreakerState,
    Cooldown,
    ModelStats,
    RequestRecord,
    SessionStats,
    public_url,
)
from neoclone_core.errors import StoreError
from neoclone_store_redis import _records
from neoclone_store_redis._held_usage import HeldUsage
from neoclone_store_redis._scans import RedisScans
from neoclone_store_redis._usage import RedisUsage

T = TypeVar("T")

PASSWORD_ENV = "NEOCLONE_REDIS_PASSWORD"  # noqa: S105 (a variable's name)
DEFAULT_PREFIX = "neoclone:"
DEFAULT_TIMEOUT_S = 0.5
DEFAULT_RETRY_S = 5.0
MAX_ATTEMPTS_PER_MODEL = 1000
MAX_REQUESTS_PER_SESSION = 1000

log = structlog.get_logger("neoclone")

# KEYS[1]: a hash; ARGV: field, value, field, value, ...: HDEL each field still holding
# its value, atomically (Redis runs a script without interleaving other commands).
_DELETE_IF_UNCHANGED = """
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return 0
"""


# KEYS[1]: a hash; ARGV: field, value, position, time, ...: HSET each field unless the
# stored value (a JSON array) holds a time at least as late at that position (1-based).
# Instances write concurrently, and one may write what it learnt during an outage long
# after: the later state wins whatever order the writes arrive in.
_SET_IF_LATER = """
for i = 1, #ARGV, 4 do
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  local later = false
  if stored then
    local ok, values = pcall(cjson.decode, stored)
    if ok and type(values) == 'table' then
      local at = tonumber(values[tonumber(ARGV[i + 2])])
      later = at ~= nil and at >= tonumber(ARGV[i + 3])
    end
  end
  if not later then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 0
"""
_BREAKER_TIME = 4  # changed_at, in the stored array: the breaker changed last wins
_COOLDOWN_TIME = 1  # until: the cooldown that ends last wins


@attrs.define(eq=False)
class RedisState(RedisUsage, RedisScans):
    """Breakers, cooldowns, statistics, scans (`RedisScans`) and the usage ledger
    (`RedisUsage`) in one Redis database (see the module doc).

    Build it with `RedisState.connect(url)`; every key starts with `prefix`, so one
    database can hold several deployments' state under different prefixes.
    """

    client: redis.Redis
    where: str
    prefix: str = DEFAULT_PREFIX
    max_attempts_per_model: int = MAX_ATTEMPTS_PER_MODEL
    max_requests_per_session: int = MAX_REQUESTS_PER_SESSION
    retry_s: float = DEFAULT_RETRY_S
    monotonic: Callable[[], float] = time.monotonic
    _down_until: float | None = None
    _pending_breakers: dict[str, BreakerState] = attrs.field(factory=dict)
    _pending_cooldowns: dict[str, Cooldown] = attrs.field(factory=dict)
    _held_usage: HeldUsage = attrs.field(factory=HeldUsage)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        env: Mapping[str, str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        **fields: Any,
    ) -> RedisState:
        """A state on the Redis at `url`, checked with a PING now: StoreError, saying
        where and why, when it does not answer. The password, if any, is read from
        `$NEOCLONE_REDIS_PASSWORD`; query parameters of `url` (`socket_timeout=2`)
        override the defaults."""
        env = os.environ if env is None else env
        client = redis.Redis.from_url(
            url,
            password=env.get(PASSWORD_ENV) or None,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            decode_responses=True,
        )
        where = public_url(url)
        try:
            client.ping()
        except redis.RedisError as exc:
            client.close()
            msg = (
                f"cannot reach the shared store at {where}: {_reason(exc)}; start Redis "
                "there, or remove `store` from the config to keep state in the embedded store"
            )
            raise StoreError(msg) from exc
        return cls(client, where, **fields)

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    @property
    def available(self) -> bool:
        """Whether the last call reached Redis (False during an outage's quiet time)."""
        return self._down_until is None

    def ping(self) -> bool:
        """Ask Redis now whether it answers, even in an outage's quiet time (one call,
        bounded like any other); an answer ends the outage. `available` alone changes
        only when the engine calls Redis, which an idle instance does not."""
        try:
            self._call(lambda r: r.ping(), probe=True)
        except StoreError:
            return False
        return True

    # -- EngineState ----------------------------------------------------------------------

    def breakers(self) -> dict[str, BreakerState]:
        """Every stored breaker, by key."""
        rows: dict[str, str] = self._call(lambda r: r.hgetall(self._key("breakers")))
        return _records.decoded(rows, _records.decode_breaker)

    def save_breaker(self, state: BreakerState) -> None:
        """Store a breaker's new state, unless the stored one changed later."""
        try:
            self._call(lambda r: self._write_later(r, breakers=[state]))
        except StoreError:
            with self._lock:
                self._pending_breakers[state.key] = state
            raise

    def cooldowns(self, now: float) -> dict[str, Cooldown]:
        """The cooldowns still running at `now`, by key; expired ones are deleted."""
        rows: dict[str, str] = self._call(lambda r: r.hgetall(self._key("cooldowns")))
        stored = _records.decoded(rows, _records.decode_cooldown)
        expired = {key: rows[key] for key, cooldown in stored.items() if cooldown.until <= now}
        if expired:
            self.forget_unchanged(expired)
        return {key: c for key, c in sorted(stored.items()) if c.until > now}

    def forget_unchanged(self, cooldowns: Mapping[str, str]) -> None:
        """Delete each cooldown still stored as read (`cooldowns`: key -> the value read),
        in one script, so that a cooldown another instance set meanwhile (a new 429 for
        the same model) is never deleted with the expired one it replaced."""
        args = [item for pair in cooldowns.items() for item in pair]
        key = self._key("cooldowns")
        self._call(lambda r: r.eval(_DELETE_IF_UNCHANGED, 1, key, *args))

    def set_cooldown(self, cooldown: Cooldown) -> None:
        """Store a cooldown, unless the key's stored one ends later."""
        try:
            self._call(lambda r: self._write_later(r, cooldowns=[cooldown]))
        except StoreError:
            with self._lock:
                self._pending_cooldowns[cooldown.key] = cooldown
            raise

    def record_outcomes(
        self, attempts: Sequence[AttemptRecord], requests: Sequence[RequestRecord]
    ) -> None:
        """Append a batch of attempts and requests, each list trimmed to its bound."""
        if not attempts and not requests:
            return

        def write(r: redis.Redis) -> None:
            pipe = r.pipeline(transaction=True)
            for a in attempts:
                pipe.rpush(self._key("attempts", a.model_id), _records.encode_attempt(a))
            for model_id in {a.model_id for a in attempts}:
                pipe.ltrim(self._key("attempts", model_id), -self.max_attempts_per_model, -1)
                pipe.sadd(self._key("models"), model_id)
            for q in requests:
                pipe.rpush(self._key("requests", q.session), _records.encode_request(q))
            for session in {q.session for q in requests}:
                pipe.ltrim(self._key("requests", session), -self.max_requests_per_session, -1)
                pipe.sadd(self._key("sessions"), session)
            pipe.execute()

        self._call(write)

    def model_stats(self) -> dict[str, ModelStats]:
        """Statistics over each model's kept attempts, by model id."""
        return _records.model_stats(self._attempts())

    def session_stats(self) -> dict[str, SessionStats]:
        """Statistics over each session's kept requests, by session name."""
        requests = self._lists("sessions", "requests", _records.decode_requests)
        attempts = self._attempts()
        return _records.session_stats(requests, (a for kept in attempts.values() for a in kept))

    # -- plumbing -------------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _attempts(self) -> dict[str, list[AttemptRecord]]:
        return self._lists("models", "attempts", _records.decode_attempts)

    def _lists(
        self,
        index: str,
        kind: str,
        decode: Callable[[str, Sequence[str]], tuple[list[T], list[str]]],
    ) -> dict[str, list[T]]:
        """Every list of `kind` named in the set `index`, decoded, in two round trips;
        items that are not ours are skipped with a warning."""

        def read(r: redis.Redis) -> dict[str, list[str]]:
            names: list[str] = sorted(cast("set[str]", r.smembers(self._key(index))))
            pipe = r.pipeline(transaction=False)
            for name in names:
                pipe.lrange(self._key(kind, name), 0, -1)
            return dict(zip(names, pipe.execute(), strict=True))

        rows: dict[str, list[str]] = self._call(read)
        lists: dict[str, list[T]] = {}
        for name, texts in rows.items():
            lists[name], foreign = decode(name, texts)
            if foreign:
                why = f"{len(foreign)} items that are not neoclone's records"
                log.warning("neoclone.store_entry_skipped", key=name, reason=why)
        return lists

    def _call(self, operation: Callable[[redis.Redis], Any], *, probe: bool = False) -> Any:
        """Run `operation`, or fail fast during an outage (unless `probe`); StoreError
        on any failure."""
        with self._lock:
            down_until = self._down_until
        if down_until is not None and not probe and self.monotonic() < down_until:
            msg = f"the shared store at {self.where} is unavailable; using local state"
            raise StoreError(msg)
        try:
            if down_until is not None:
                self._write_pending()
            result = operation(self.client)
        except redis.RedisError as exc:
            self._went_down(exc)
            msg = f"the shared store at {self.where} failed: {_reason(exc)}"
            raise StoreError(msg) from exc
        if down_until is not None:
            with self._lock:
                self._down_until = None
            log.warning("neoclone.store_recovered", store=self.where)
        return result

    def _write_later(
        self,
        client: redis.Redis,
        breakers: Iterable[BreakerState] = (),
        cooldowns: Iterable[Cooldown] = (),
    ) -> None:
        """Store each breaker and cooldown unless the stored one is later (see
        `_SET_IF_LATER`), in one round trip."""
        breaker_args = [
            item
            for b in breakers
            for item in (b.key, _records.encode_breaker(b), _BREAKER_TIME, b.changed_at)
        ]
        cooldown_args = [
            item
            for c in cooldowns
            for item in (c.key, _records.encode_cooldown(c), _COOLDOWN_TIME, c.until)
        ]
        pipe = client.pipeline(transaction=False)
        for kind, args in (("breakers", breaker_args), ("cooldowns", cooldown_args)):
            if args:
                pipe.eval(_SET_IF_LATER, 1, self._key(kind), *args)
        pipe.execute()

    def _went_down(self, exc: redis.RedisError) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = self.monotonic() + self.retry_s
        if first:
            log.warning(
                "neoclone.store_unavailable",
                store=self.where,
                error=_reason(exc),
                fallback="local state until it answers again",
                retry_s=self.retry_s,
            )

    def _write_pending(self) -> None:
        """Write the breaker and cooldown changes and the usage an outage held back,
        each breaker and cooldown unless another instance stored a later one meanwhile
        (raises RedisError if Redis is still down; they are kept for the next try)."""
        with self._lock:
            breakers, cooldowns = dict(self._pending_breakers), dict(self._pending_cooldowns)
        if breakers or cooldowns:
            self._write_later(self.client, breakers.values(), cooldowns.values())
        usage = self._held_usage.take()
        try:
            pipe = self.client.pipeline(transaction=False)
            if usage.queue(self.client, pipe, self._key):
                pipe.execute()
        except redis.RedisError:
            self._held_usage.restore(usage)
            raise
        with self._lock:
            for key in breakers:
                self._pending_breakers.pop(key, None)
            for key in cooldowns:
                self._pending_cooldowns.pop(key, None)


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
