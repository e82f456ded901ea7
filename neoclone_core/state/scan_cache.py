"""The scan cache several instances share: what one instance scanned, the others need
not scan again, and a provider that failed for one is backed off by all.

A store plugin's state object (see the `neoclone_open_state` hook) opts in by
implementing `ScanCache`, the four scan methods of the embedded `Store`. The catalog
keeps using its own embedded store as it always does, and around it:

- before deciding whether a provider is due, it takes the shared scan state when that
  one is newer than its own (and the shared models when the newer state includes a
  newer successful scan), so a scan another instance made within the TTL counts here;
- after scanning, it records the outcome in the shared cache too; failures are
  counted there across instances, so the backoff grows with every instance's failure.

A shared cache that fails (raises `StoreError`) is skipped: the instance decides from
its embedded store, as it would alone. Nothing here is on a request's path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import attrs

from neoclone_core.models import ModelInfo
from neoclone_core.state.store import ScanState


@runtime_checkable
class ScanCache(Protocol):
    """Scan states and the models of each provider's last successful scan.

    Every method may raise `StoreError`.
    """

    def scan_state(self, provider: str) -> ScanState | None:
        """The provider's scan state, or None if it was never scanned."""
        ...

    def models(self, provider: str | None = None) -> list[ModelInfo]:
        """The models of the provider's last successful scan, ordered by id."""
        ...

    def record_scan_success(
        self, provider: str, models: Sequence[ModelInfo], at: float
    ) -> ScanState:
        """Replace the provider's models with `models` and reset its failures."""
        ...

    def record_scan_failure(
        self, provider: str, error: str, at: float, backoff: Callable[[int], float]
    ) -> ScanState:
        """Count a failed scan (atomically: instances fail at the same time) and set
        the next retry `backoff(failures)` seconds after `at`; the models stay."""
        ...


@attrs.frozen
class Merge:
    """What to take from a shared scan state: the state to keep, and whether the
    shared models must be fetched with it (its last success is newer than ours)."""

    state: ScanState
    take_models: bool


def merge_scan(ours: ScanState | None, theirs: ScanState | None) -> Merge | None:
    """The state to adopt from `theirs`, or None when ours is as new (nothing to do).

    The newer attempt decides failures and the next retry; the newer success decides
    the models (and their count), wherever each was made.
    """
    if theirs is None:
        return None
    if ours is None:
        return Merge(theirs, take_models=theirs.last_success_at is not None)
    newer_attempt = _attempted(theirs) > _attempted(ours)
    newer_success = _succeeded(theirs) > _succeeded(ours)
    if not newer_attempt and not newer_success:
        return None
    latest = theirs if newer_attempt else ours
    success = theirs if newer_success else ours
    state = attrs.evolve(
        latest, last_success_at=success.last_success_at, model_count=success.model_count
    )
    return Merge(state, take_models=newer_success)


def _attempted(state: ScanState) -> float:
    return state.last_attempt_at or 0.0


def _succeeded(state: ScanState) -> float:
    return state.last_success_at or 0.0
