"""The catalog: which providers to scan, scanning them concurrently, and what to list.

Scans are cached in the store: a provider scanned successfully within the TTL is not
scanned again, and one that keeps failing waits an exponentially growing time before
its next try. A provider that never succeeded is represented by the bundled snapshot,
so that the catalog is useful on an offline first run. Instances sharing a store
(Redis) share their scans as well: see `_shared_scans`.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import anyio
import attrs

from neoclone_core.config import Settings
from neoclone_core.discover.snapshot import snapshot_models
from neoclone_core.errors import MissingAPIKeyError, PluginError, StoreError
from neoclone_core.log import log
from neoclone_core.models import ModelInfo, Source
from neoclone_core.plugins import Plugins
from neoclone_core.provider import FreeTier, Provider, ProviderContext, free_tier_of
from neoclone_core.redaction import Secret, scrub_exception
from neoclone_core.state.scan_cache import ScanCache, merge_scan
from neoclone_core.state.store import ScanState, Store

if TYPE_CHECKING:
    import httpx

RESCANS_AVOIDED = "rescans_avoided"


class ScanStatus(str, enum.Enum):
    """What discovery did with one provider."""

    SCANNED = "scanned"  # scanned now, successfully
    FRESH = "fresh"  # a scan within the TTL exists; not rescanned
    BACKING_OFF = "backing_off"  # failed recently; waiting before the next try
    SKIPPED = "skipped"  # cannot be scanned as configured (no API key, ...)
    FAILED = "failed"  # scanned now, and failed
    DISABLED = "disabled"  # switched off in the config

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class ProviderScan:
    """One provider's outcome in a discovery run; `message` says why, in one line."""

    provider: str
    status: ScanStatus
    models: int = 0
    duration_s: float = 0.0
    message: str = ""


@attrs.frozen
class CacheStats:
    """How current the catalog is, per provider and in total."""

    total_models: int
    fresh: tuple[str, ...]
    stale: tuple[str, ...]
    backing_off: tuple[str, ...]
    never_scanned: tuple[str, ...]
    rescans_avoided: int
    ttl_seconds: float

    @property
    def should_rescan(self) -> bool:
        """Whether some provider is due for a scan (stale or never scanned)."""
        return bool(self.stale or self.never_scanned)


def backoff_delay(failures: int, base: float, cap: float) -> float:
    """Seconds to wait after the `failures`-th consecutive failure: base, 2x, 4x, ... cap."""
    return float(min(cap, base * 2 ** max(0, failures - 1)))


@attrs.define
class Catalog:
    """Discovery over the registered providers, with the store as its cache."""

    store: Store
    plugins: Plugins
    providers: Mapping[str, Provider]
    settings: Settings
    http: httpx.AsyncClient
    clock: Callable[[], float]
    env: Mapping[str, str] = attrs.field(factory=lambda: os.environ)
    shared: ScanCache | None = None  # scans shared with other instances (see state.scan_cache)
    _scanned_now: set[str] = attrs.field(factory=set, init=False)

    @property
    def last_resort(self) -> frozenset[str]:
        """The providers that mark themselves the last resort of every plan (their
        `last_resort` attribute: models that run on this machine)."""
        return frozenset(n for n, p in self.providers.items() if getattr(p, "last_resort", False))

    def enabled(self) -> list[str]:
        """Provider names that the config does not switch off, sorted."""
        return sorted(n for n in self.providers if self.off_reason(n) is None)

    def free_tiers(self) -> dict[str, FreeTier]:
        """The free tier of every provider that declares one, by name."""
        tiers = {name: free_tier_of(provider) for name, provider in self.providers.items()}
        return {name: tier for name, tier in sorted(tiers.items()) if tier is not None}

    def off_reason(self, name: str) -> str | None:
        """Why the config leaves provider `name` out, None when it does not."""
        if not self.settings.provider(name).enabled:
            return "disabled in config"
        tier = free_tier_of(self.providers[name])
        if self.settings.exclude_training_on_prompts and tier and tier.trains_on_prompts:
            return "excluded: its free tier trains on prompts (exclude_training_on_prompts)"
        return None

    def key_env(self, name: str) -> str | None:
        """The variable provider `name`'s key is read from: the config's, else the
        provider's own (None: it needs no key)."""
        return self.settings.provider(name).api_key_env or self.providers[name].api_key_env

    def key_envs(self, name: str) -> tuple[str, ...]:
        """Every variable provider `name`'s keys are read from: `key_env`'s, then the
        config's further ones (`api_key_env = [...]`); () when it needs no key."""
        first = self.key_env(name)
        return () if first is None else (first, *self.settings.provider(name).more_key_envs)

    def missing_key(self, name: str) -> str | None:
        """The variable to set when provider `name` needs a key and none of its
        variables is set (None when one is, or the provider needs none): its models
        cannot be called now."""
        key_envs = self.key_envs(name)
        return key_envs[0] if key_envs and not any(map(self.env.get, key_envs)) else None

    def keyless(self) -> dict[str, str]:
        """Enabled providers whose key is not set, with the variable that would add them."""
        missing = {name: self.missing_key(name) for name in self.enabled()}
        return {name: env for name, env in sorted(missing.items()) if env}

    def context(self, name: str) -> ProviderContext:
        """The call context for provider `name`, from config and environment, with its
        first key that is set."""
        return self.contexts(name)[0]

    def contexts(self, name: str) -> list[ProviderContext]:
        """A call context per key of provider `name` that is set, in the config's order
        (one without a key when none is, or the provider needs none)."""
        set_envs = [env for env in self.key_envs(name) if self.env.get(env)]
        first = self.key_env(name)
        return [self._context(name, env) for env in set_envs] or [self._context(name, first)]

    def _context(self, name: str, key_env: str | None) -> ProviderContext:
        provider = self.providers[name]
        configured = self.settings.provider(name)
        key = self.env.get(key_env) if key_env else None
        return ProviderContext(
            provider=name,
            base_url=(configured.base_url or provider.default_base_url).rstrip("/"),
            api_key=Secret(key) if key else None,
            api_key_env=key_env,
            timeout=configured.timeout or self.settings.request_timeout,
            http=self.http,
            clock=self.clock,
            options=configured.options,
        )

    async def discover(
        self,
        *,
        refresh: bool = False,
        on_result: Callable[[ProviderScan], None] | None = None,
    ) -> list[ProviderScan]:
        """Scan every due provider at once; `refresh` rescans fresh and backing-off ones.

        Returns one result per provider (disabled ones included), sorted by name;
        `on_result` sees each as soon as it is known (for progress displays).
        """
        results: list[ProviderScan] = []

        def done(result: ProviderScan) -> None:
            results.append(result)
            if on_result is not None:
                on_result(result)

        for name in sorted(set(self.providers) - set(self.enabled())):
            done(ProviderScan(name, ScanStatus.DISABLED, message=self.off_reason(name) or ""))
        async with anyio.create_task_group() as group:
            for name in self.enabled():
                if (skip := self._skip_reason(name, refresh)) is not None:
                    done(skip)
                else:
                    group.start_soon(self._scan_reporting, name, done)
        return sorted(results, key=lambda r: r.provider)

    def _skip_reason(self, name: str, refresh: bool) -> ProviderScan | None:
        """A result for a provider that need not (or must not) be scanned now."""
        if refresh:
            return None
        state = self._take_shared(name, self.store.scan_state(name))
        if state is None:
            return None
        now = self.clock()
        if state.next_retry_at is not None and state.next_retry_at > now:
            wait = state.next_retry_at - now
            message = f"backing off {wait:.0f}s after {state.failures} failures: {state.last_error}"
            return ProviderScan(name, ScanStatus.BACKING_OFF, state.model_count, message=message)
        if self._is_fresh(state, now):
            self.store.add_counter(RESCANS_AVOIDED)
            age = now - (state.last_success_at or now)
            message = f"cached scan from {age / 3600:.1f}h ago"
            return ProviderScan(name, ScanStatus.FRESH, state.model_count, message=message)
        return None

    def _take_shared(self, name: str, ours: ScanState | None) -> ScanState | None:
        """The provider's state after taking the shared cache's, where that is newer."""
        if self.shared is None:
            return ours
        try:
            merge = merge_scan(ours, self.shared.scan_state(name))
            if merge is None:
                return ours
            models = self.shared.models(name) if merge.take_models else None
        except StoreError as exc:
            log.info("neoclone.shared_scans_skipped", provider=name, error=str(exc))
            return ours
        if models is not None and len(models) < merge.state.model_count:
            # Gone, or partly unreadable (written by a newer version?): keep our own
            # rather than lose models for a whole TTL.
            why = f"{len(models)} of {merge.state.model_count} models readable"
            log.warning("neoclone.shared_scans_skipped", provider=name, error=why)
            return ours
        self.store.adopt_scan(merge.state, models)
        return merge.state

    def _share(self, name: str, record: Callable[[ScanCache], ScanState]) -> ScanState | None:
        """`record` applied to the shared cache; None when there is none or it fails."""
        if self.shared is None:
            return None
        try:
            return record(self.shared)
        except StoreError as exc:
            log.info("neoclone.shared_scans_skipped", provider=name, error=str(exc))
            return None

    def _is_fresh(self, state: ScanState, now: float) -> bool:
        return (
            state.last_success_at is not None
            and now - state.last_success_at < self.settings.cache.ttl_seconds
        )

    async def _scan_reporting(self, name: str, done: Callable[[ProviderScan], None]) -> None:
        done(await self.scan(name))

    async def scan(self, name: str) -> ProviderScan:
        """Scan one provider now, bounded by the discovery timeout, and record the outcome."""
        ctx = self.context(name)
        started = self.clock()
        try:
            with anyio.fail_after(self.settings.discovery_timeout):
                found = await self.providers[name].discover(ctx)
            models = _checked_models(name, found, started, free_tier_of(self.providers[name]))
        except MissingAPIKeyError as exc:
            return ProviderScan(name, ScanStatus.SKIPPED, message=str(exc))
        except Exception as exc:  # a failing provider must not stop the others
            return self._record_failure(name, exc, started, ctx.api_key)
        self.store.record_scan_success(name, models, started)
        self._share(name, lambda shared: shared.record_scan_success(name, models, started))
        self._scanned_now.add(name)
        for model in models:
            self.plugins.emit("neoclone_model_discovered", model=model)
        duration = self.clock() - started
        return ProviderScan(name, ScanStatus.SCANNED, len(models), duration, "ok")

    def _record_failure(
        self, name: str, exc: Exception, started: float, key: Secret | None
    ) -> ProviderScan:
        scrub_exception(exc, [key])
        if isinstance(exc, TimeoutError):
            error = f"no answer within {self.settings.discovery_timeout:g}s"
        else:
            error = f"{type(exc).__name__}: {exc}"
        cache = self.settings.cache

        def backoff(failures: int) -> float:
            return backoff_delay(failures, cache.backoff_base_seconds, cache.backoff_cap_seconds)

        state = self.store.record_scan_failure(name, error, started, backoff)
        shared = self._share(name, lambda s: s.record_scan_failure(name, error, started, backoff))
        if shared is not None and shared.failures > state.failures:
            # Other instances failed too: wait as long as their count says, as they do.
            state = attrs.evolve(
                state, failures=shared.failures, next_retry_at=shared.next_retry_at
            )
            self.store.adopt_scan(state, None)
        log.warning("neoclone.scan_failed", provider=name, error=error, failures=state.failures)
        self.plugins.emit(
            "neoclone_scan_failed", provider=name, error=exc, next_retry_at=state.next_retry_at
        )
        duration = self.clock() - started
        return ProviderScan(name, ScanStatus.FAILED, state.model_count, duration, error)

    def models(self) -> list[ModelInfo]:
        """Every enabled provider's models: its last scan, or the snapshot if it has none."""
        states = self.store.scan_states()
        snapshot: list[ModelInfo] | None = None
        listed: list[ModelInfo] = []
        for name in self.enabled():
            state = states.get(name)
            if state is not None and state.last_success_at is not None:
                source = Source.LIVE if name in self._scanned_now else Source.CACHE
                listed.extend(attrs.evolve(m, source=source) for m in self.store.models(name))
            else:
                snapshot = snapshot_models() if snapshot is None else snapshot
                listed.extend(m for m in snapshot if m.provider == name)
        return sorted(listed, key=lambda m: m.id)

    def stats(self) -> CacheStats:
        """Freshness of every enabled provider's scan, and the totals."""
        now = self.clock()
        states = self.store.scan_states()
        buckets: dict[str, list[str]] = {"fresh": [], "stale": [], "backing_off": [], "never": []}
        for name in self.enabled():
            state = states.get(name)
            if state is not None and state.next_retry_at is not None and state.next_retry_at > now:
                buckets["backing_off"].append(name)
            elif state is None or state.last_success_at is None:
                buckets["never"].append(name)
            else:
                buckets["fresh" if self._is_fresh(state, now) else "stale"].append(name)
        return CacheStats(
            total_models=len(self.models()),
            fresh=tuple(buckets["fresh"]),
            stale=tuple(buckets["stale"]),
            backing_off=tuple(buckets["backing_off"]),
            never_scanned=tuple(buckets["never"]),
            rescans_avoided=self.store.counters().get(RESCANS_AVOIDED, 0),
            ttl_seconds=self.settings.cache.ttl_seconds,
        )


def _checked_models(
    provider: str, found: object, at: float, tier: FreeTier | None = None
) -> list[ModelInfo]:
    """The provider's models stamped with the scan time, none of them free when its free
    tier is only a trial credit or nothing (whatever the plugin said); PluginError for a
    wrong shape."""
    free_allowed = tier is None or tier.can_make_free
    if not isinstance(found, Sequence) or isinstance(found, (str, bytes)):
        msg = f"provider {provider!r} discover() returned {type(found).__name__}, not a list"
        raise PluginError(msg)
    models = []
    for model in found:
        if not isinstance(model, ModelInfo) or model.provider != provider:
            msg = f"provider {provider!r} discover() returned {model!r}, not its own ModelInfo"
            raise PluginError(msg)
        free = model.free and free_allowed
        models.append(attrs.evolve(model, source=Source.LIVE, discovered_at=at, free=free))
    return models
