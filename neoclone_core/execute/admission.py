"""The gate in front of every call: whether a model may be called now.

Two things close it: a *cooldown*, a wait someone told us to keep (a 429's Retry-After,
a refused key, a model that is gone), and an open *circuit breaker*, a wait we chose
after a run of failures. Both exist per model and per provider.

The gate answers from memory, so a request pays a few dictionary lookups for it; what
must survive a restart or reach other processes is written to the `EngineState` when it
changes and read back from it at most once per `sync_s`. When the store fails, the gate
logs it and keeps deciding from memory (fail open): a broken store must not stop
requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs

from neoclone_core.errors import ProviderError, RateLimitedError, StoreError, TransientError
from neoclone_core.execute.breaker import Breaker, BreakerPolicy
from neoclone_core.log import log
from neoclone_core.models import ModelInfo
from neoclone_core.plugins import Plugins
from neoclone_core.state.engine_state import (
    PROVIDER_KEY_PREFIX,
    BreakerState,
    BreakerStatus,
    Cooldown,
    EngineState,
    provider_key,
)

PROVIDER_SOURCES = 2  # models among a provider's failures before its own breaker opens


def counts_against_health(error: ProviderError) -> bool:
    """Whether `error` says the model or provider is unwell: outages, timeouts, broken
    bodies and streams do; rate limits (they have cooldowns) and permanent errors
    (the key, the model's existence, the caller's request) do not."""
    return isinstance(error, TransientError) and not isinstance(error, RateLimitedError)


@attrs.frozen
class CallPermit:
    """Leave to make one call: the keys it is checked against and the half-open
    breakers it is the probe of (each must hear how the call went)."""

    keys: tuple[str, str]  # the provider's key, then the model's id
    probes: frozenset[str] = frozenset()


@attrs.define
class Admission:
    """Breakers and cooldowns for every key, shared through `state`."""

    state: EngineState
    policy: BreakerPolicy
    plugins: Plugins
    clock: Callable[[], float]
    monotonic: Callable[[], float]
    sync_s: float = 1.0
    _breakers: dict[str, Breaker] = attrs.field(factory=dict)
    # A wait belongs to a key (a model or provider) and the credential told to wait:
    # with several API keys, each refused key sits out on its own.
    _cooldowns: dict[tuple[str, str], Cooldown] = attrs.field(factory=dict)
    _synced_at: float | None = None

    # -- asking -------------------------------------------------------------------------

    def refusal(self, model: ModelInfo, credential: str) -> str:
        """Why `model` may not be called now, or "" when it may (claims nothing)."""
        self.sync(force=False)
        now = self.clock()
        for key in (provider_key(model.provider), model.id):
            cooldown = self._cooldowns.get((key, credential))
            if cooldown is not None and cooldown.applies(now, credential):
                return f"cooling down {cooldown.until - now:.0f}s more: {cooldown.reason}"
            breaker = self._breakers.get(key)
            if breaker is not None and (reason := breaker.refusal(now)):
                return f"{reason} [{key}]" if key != model.id else reason
        return ""

    def admit(self, model: ModelInfo, credential: str) -> CallPermit | str:
        """A permit for one call of `model`, or why it may not be called now."""
        if reason := self.refusal(model, credential):
            return reason
        keys = (provider_key(model.provider), model.id)
        now = self.clock()
        probes = frozenset(
            key
            for key in keys
            if (breaker := self._breakers.get(key)) is not None and breaker.take_probe(now)
        )
        return CallPermit(keys, probes)

    # -- hearing back -------------------------------------------------------------------

    def succeeded(self, permit: CallPermit) -> None:
        """The call went well: count it, and close the breakers it probed."""
        now = self.clock()
        provider, model_id = permit.keys
        # The provider's breaker hears every success: one model answering is evidence
        # against the provider being down (see `Breaker`).
        for breaker in (self._breaker(provider), self._breakers.get(model_id)):
            if breaker is not None and breaker.succeeded(
                now, breaker.state.key in permit.probes, model_id
            ):
                self._changed(breaker.state)

    def failed(self, permit: CallPermit, error: ProviderError) -> None:
        """The call failed: count it if it says something about health."""
        if not counts_against_health(error):
            self.released(permit)
            return
        now = self.clock()
        model_id = permit.keys[1]
        for key in permit.keys:
            breaker = self._breaker(key)
            if breaker.failed(now, error.kind, key in permit.probes, source=model_id):
                self._changed(breaker.state)

    def released(self, permit: CallPermit) -> None:
        """The call ended without a verdict (cancelled, the caller's mistake)."""
        for key in permit.probes:
            self._breaker(key).released()

    def cool_down(self, key: str, seconds: float, reason: str, credential: str) -> None:
        """Keep every call away from `key` for `seconds` (a later wait is kept)."""
        now = self.clock()
        current = self._cooldowns.get((key, credential))
        if seconds <= 0 or (current is not None and current.until >= now + seconds):
            return
        cooldown = Cooldown(key, now + seconds, reason, now, credential)
        self._cooldowns[(key, credential)] = cooldown
        with self._store_errors("set_cooldown"):
            self.state.set_cooldown(cooldown)
        log.info("neoclone.cooldown_started", key=key, seconds=seconds, reason=reason)
        self.plugins.emit("neoclone_cooldown_started", key=key, until=cooldown.until, reason=reason)

    # -- what scoring and `stats` see ---------------------------------------------------

    def unavailable_until(self) -> dict[str, float]:
        """Every key that may not be called now, with when it may again."""
        self.sync(force=False)
        now = self.clock()
        waits = {k: c.until for k, c in self._running(now).items()}
        for key, breaker in self._breakers.items():
            if breaker.state.status_at(now) is BreakerStatus.OPEN:
                waits[key] = max(waits.get(key, 0.0), breaker.state.until)
        return waits

    def breaker_states(self) -> dict[str, BreakerState]:
        """Every breaker known here, by key."""
        self.sync(force=False)
        return {key: breaker.state for key, breaker in sorted(self._breakers.items())}

    def cooldowns(self) -> dict[str, Cooldown]:
        """The cooldowns running now, by key (of a key's several credentials, the one
        that ends last)."""
        self.sync(force=False)
        return dict(sorted(self._running(self.clock()).items()))

    def _running(self, now: float) -> dict[str, Cooldown]:
        """The cooldowns running at `now`, by key; the latest-ending of a key's several."""
        running: dict[str, Cooldown] = {}
        for cooldown in self._cooldowns.values():
            known = running.get(cooldown.key)
            if cooldown.until > now and (known is None or cooldown.until > known.until):
                running[cooldown.key] = cooldown
        return running

    # -- the store ----------------------------------------------------------------------

    def sync(self, *, force: bool) -> None:
        """Read breakers and cooldowns back from the store, when due or forced."""
        at = self.monotonic()
        if not force and self._synced_at is not None and at - self._synced_at < self.sync_s:
            return
        self._synced_at = at
        with self._store_errors("sync"):
            for key, stored in self.state.breakers().items():
                self._breaker(key).adopt(stored)
            now = self.clock()
            for cooldown in self.state.cooldowns(now).values():
                slot = (cooldown.key, cooldown.credential)
                current = self._cooldowns.get(slot)
                if current is None or cooldown.until > current.until:
                    self._cooldowns[slot] = cooldown

    def _breaker(self, key: str) -> Breaker:
        breaker = self._breakers.get(key)
        if breaker is None:
            # A provider's breaker opens on failures of several of its models only.
            sources = PROVIDER_SOURCES if key.startswith(PROVIDER_KEY_PREFIX) else 1
            state = BreakerState(key)
            breaker = self._breakers[key] = Breaker(state, self.policy, min_sources=sources)
        return breaker

    def _changed(self, state: BreakerState) -> None:
        with self._store_errors("save_breaker"):
            self.state.save_breaker(state)
        if state.status is BreakerStatus.OPEN:
            log.warning("neoclone.breaker_opened", key=state.key, reason=state.reason)
            self.plugins.emit(
                "neoclone_breaker_opened", key=state.key, until=state.until, reason=state.reason
            )
        else:
            log.info("neoclone.breaker_closed", key=state.key)
            self.plugins.emit("neoclone_breaker_closed", key=state.key)

    @contextmanager
    def _store_errors(self, operation: str) -> Iterator[None]:
        try:
            yield
        except StoreError as exc:
            log.warning("neoclone.state_unavailable", operation=operation, error=str(exc))
