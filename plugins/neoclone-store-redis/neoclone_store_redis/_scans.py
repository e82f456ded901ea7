"""The catalog's scans in Redis (`ScanCache`; see `neoclone_core.state.scan_cache`),
shared by every instance, so a provider one instance scanned need not be scanned by the
others.

A provider's scan state is a field of the hash `scans`; its models are one JSON value
under `catalog:<provider>`, replaced with the state in one `MULTI`. A failed scan is
counted under `WATCH`, so instances failing at once are all counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import redis
import structlog

from neoclone_core import ModelInfo, ScanState
from neoclone_store_redis import _records
from neoclone_store_redis._records import decode_one

log = structlog.get_logger("neoclone")


class RedisScans:
    """The `ScanCache` methods of `RedisState`; `RedisState` provides `_key` and `_call`
    (as for `RedisUsage`)."""

    def _key(self, *parts: str) -> str:
        raise NotImplementedError

    def _call(self, operation: Callable[[redis.Redis], Any]) -> Any:
        raise NotImplementedError

    def scan_state(self, provider: str) -> ScanState | None:
        """The provider's shared scan state, or None if no instance scanned it."""
        text: str | None = self._call(lambda r: r.hget(self._key("scans"), provider))
        return None if text is None else decode_one(_records.decode_scan, provider, text)

    def models(self, provider: str | None = None) -> list[ModelInfo]:
        """The models of the provider's last successful scan (of every provider's for
        None), ordered by id; items that are not models are skipped with a warning."""

        def read(r: redis.Redis) -> list[str | None]:
            names = [provider] if provider is not None else sorted(r.hkeys(self._key("scans")))
            pipe = r.pipeline(transaction=False)
            for name in cast("list[str]", names):
                pipe.get(self._key("catalog", name))
            return cast("list[str | None]", pipe.execute())

        models: list[ModelInfo] = []
        for text in self._call(read):
            if text is None:
                continue
            try:
                found, foreign = _records.decode_models(text)
            except ValueError as exc:
                log.warning("neoclone.store_entry_skipped", key="catalog", reason=str(exc))
                continue
            if foreign:
                why = f"{foreign} items that are not models"
                log.warning("neoclone.store_entry_skipped", key="catalog", reason=why)
            models.extend(found)
        return sorted(models, key=lambda m: m.id)

    def record_scan_success(
        self, provider: str, models: Sequence[ModelInfo], at: float
    ) -> ScanState:
        """Replace the provider's shared models and reset its failures, in one MULTI."""
        unique = list({m.id: m for m in models}.values())
        state = ScanState(provider, at, at, 0, None, "", len(unique))

        def write(r: redis.Redis) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.set(self._key("catalog", provider), _records.encode_models(unique))
            pipe.hset(self._key("scans"), provider, _records.encode_scan(state))
            pipe.execute()

        self._call(write)
        return state

    def record_scan_failure(
        self, provider: str, error: str, at: float, backoff: Callable[[int], float]
    ) -> ScanState:
        """Count a failed scan in the shared state: read and written under WATCH, so
        instances failing at once are all counted."""
        key = self._key("scans")

        def count(pipe: redis.client.Pipeline) -> ScanState:
            text = cast("str | None", pipe.hget(key, provider))  # WATCHed: run, not queued
            old = None if text is None else decode_one(_records.decode_scan, provider, text)
            state = (old or ScanState.never_scanned(provider)).after_failure(error, at, backoff)
            pipe.multi()
            pipe.hset(key, provider, _records.encode_scan(state))
            return state

        counted = cast("Callable[[redis.client.Pipeline], None]", count)  # as its stub says
        state: ScanState = self._call(
            lambda r: r.transaction(counted, key, value_from_callable=True)
        )
        return state
