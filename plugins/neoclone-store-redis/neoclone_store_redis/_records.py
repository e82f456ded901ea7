"""The engine's records as Redis values, and the statistics computed over them.

Every record is a short JSON array, not an object: a model keeps up to a thousand
attempts and `model_stats` decodes all of them, so field names would be most of the
bytes and of the decoding time. The statistics follow the embedded SQLite store's
definitions exactly (nearest-rank percentiles over successful calls, failures counted
by error kind, "unknown" for none), so a deployment that moves to Redis routes the same.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import structlog

from neoclone_core import (
    AttemptRecord,
    BreakerState,
    BreakerStatus,
    Cooldown,
    ModelInfo,
    ModelStats,
    RequestRecord,
    ScanState,
    SessionStats,
    model_from_dict,
    model_to_dict,
)

T = TypeVar("T")
log = structlog.get_logger("neoclone")

__all__ = [
    "decode_attempt",
    "decode_attempts",
    "decode_breaker",
    "decode_cooldown",
    "decode_models",
    "decode_one",
    "decode_request",
    "decode_requests",
    "decode_scan",
    "decoded",
    "encode_attempt",
    "encode_breaker",
    "encode_cooldown",
    "encode_models",
    "encode_request",
    "encode_scan",
    "model_stats",
    "session_stats",
]


def _dumps(values: Sequence[Any]) -> str:
    return json.dumps(values, separators=(",", ":"))


def _array(text: str, length: int) -> list[Any]:
    """The JSON array in `text`; ValueError for anything else (a foreign value)."""
    values = json.loads(text)
    if not isinstance(values, list) or len(values) != length:
        msg = f"not a {length}-item array"
        raise ValueError(msg)
    return values


def encode_breaker(state: BreakerState) -> str:
    """A breaker as stored (its key is the hash field)."""
    return _dumps([state.status.value, state.until, state.opened, state.changed_at, state.reason])


def decode_breaker(key: str, text: str) -> BreakerState:
    """The breaker stored under `key`; ValueError when `text` is not one."""
    status, until, opened, changed_at, reason = _array(text, 5)
    return BreakerState(key, BreakerStatus(status), until, opened, changed_at, reason)


def encode_cooldown(cooldown: Cooldown) -> str:
    """A cooldown as stored (its key is the hash field)."""
    return _dumps([cooldown.until, cooldown.reason, cooldown.set_at, cooldown.credential])


def decode_cooldown(key: str, text: str) -> Cooldown:
    """The cooldown stored under `key`; ValueError when `text` is not one."""
    until, reason, set_at, credential = _array(text, 4)
    return Cooldown(key, float(until), str(reason), float(set_at), str(credential))


def encode_scan(state: ScanState) -> str:
    """A provider's scan state as stored (the provider is the hash field)."""
    return _dumps(
        [
            state.last_success_at,
            state.last_attempt_at,
            state.failures,
            state.next_retry_at,
            state.last_error,
            state.model_count,
        ]
    )


def decode_scan(provider: str, text: str) -> ScanState:
    """The scan state of `provider`; ValueError when `text` is not one."""
    success, attempt, failures, retry, error, count = _array(text, 6)
    return ScanState(provider, success, attempt, int(failures), retry, str(error), int(count))


def encode_models(models: Sequence[ModelInfo]) -> str:
    """A provider's models, the catalog's own JSON shape in one array."""
    return json.dumps([model_to_dict(m) for m in models], separators=(",", ":"))


def decode_models(text: str) -> tuple[list[ModelInfo], int]:
    """The models in `text`, ordered by id, and how many items were not models."""
    rows = json.loads(text)
    if not isinstance(rows, list):
        msg = "not an array of models"
        raise ValueError(msg)  # noqa: TRY004 (a foreign value, as for every record)
    models: list[ModelInfo] = []
    for row in rows:
        try:
            models.append(model_from_dict(row))
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
    return sorted(models, key=lambda m: m.id), len(rows) - len(models)


def encode_attempt(a: AttemptRecord) -> str:
    """An attempt as an item of its model's list (the model id is in the list's key)."""
    return _dumps([a.at, int(a.ok), a.duration_s, a.error_kind, a.ttft_s, a.session])


def decode_attempt(model_id: str, text: str) -> AttemptRecord:
    """An attempt of `model_id`; ValueError when `text` is not one."""
    return _attempt(model_id, _array(text, 6))


def _attempt(model_id: str, values: list[Any]) -> AttemptRecord:
    at, ok, duration_s, kind, ttft_s, session = values
    return AttemptRecord(model_id, at, bool(ok), duration_s, kind, ttft_s, session)


def encode_request(r: RequestRecord) -> str:
    """A request as an item of its session's list (the session is in the list's key)."""
    return _dumps([r.at, int(r.ok), r.served_by, r.fallbacks, r.total_s, r.ttft_s, r.error_kind])


def decode_request(session: str, text: str) -> RequestRecord:
    """A request of `session`; ValueError when `text` is not one."""
    return _request(session, _array(text, 7))


def _request(session: str, values: list[Any]) -> RequestRecord:
    at, ok, served_by, fallbacks, total_s, ttft_s, kind = values
    return RequestRecord(session, at, bool(ok), served_by, fallbacks, total_s, ttft_s, kind)


def decode_attempts(model_id: str, texts: Sequence[str]) -> tuple[list[AttemptRecord], list[str]]:
    """The attempts of a model's list, and the items that are not attempts."""
    return _decode_list(model_id, texts, _attempt, 6)


def decode_requests(session: str, texts: Sequence[str]) -> tuple[list[RequestRecord], list[str]]:
    """The requests of a session's list, and the items that are not requests."""
    return _decode_list(session, texts, _request, 7)


def _decode_list(
    key: str, texts: Sequence[str], build: Callable[[str, list[Any]], T], length: int
) -> tuple[list[T], list[str]]:
    """Every item of a list decoded by one `json.loads` of them all (statistics read
    thousands), item by item only when one of them is not a JSON value of its own."""
    try:
        rows = json.loads("[" + ",".join(texts) + "]")
    except ValueError:
        rows = []
    if len(rows) != len(texts):  # not JSON, or an item such as "1,2" that splits in two
        rows = [_loads_or_none(text) for text in texts]
    decoded: list[T] = []
    foreign: list[str] = []
    for text, row in zip(texts, rows, strict=True):
        item = _built(build, key, row, length)
        if item is None:
            foreign.append(text)
        else:
            decoded.append(item)
    return decoded, foreign


def _loads_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _built(build: Callable[[str, list[Any]], T], key: str, row: object, length: int) -> T | None:
    if not isinstance(row, list) or len(row) != length:
        return None
    try:
        return build(key, row)
    except (ValueError, TypeError):
        return None


# -- statistics ---------------------------------------------------------------------------


def _nearest_rank(ordered: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile of a sorted sequence (the SQLite store's definition)."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def _kinds(failed: Iterable[AttemptRecord]) -> dict[str, int]:
    return dict(Counter(a.error_kind or "unknown" for a in failed))


def model_stats(attempts: Mapping[str, Sequence[AttemptRecord]]) -> dict[str, ModelStats]:
    """Statistics over each model's kept attempts, by model id (models without any
    attempt are left out)."""
    stats: dict[str, ModelStats] = {}
    for model_id in sorted(attempts):
        records = attempts[model_id]
        if not records:
            continue
        ok = [a for a in records if a.ok]
        latencies = sorted(a.duration_s for a in ok)
        ttfts = sorted(a.ttft_s for a in ok if a.ttft_s is not None)
        stats[model_id] = ModelStats(
            model_id=model_id,
            successes=len(ok),
            failures=len(records) - len(ok),
            errors_by_kind=_kinds(a for a in records if not a.ok),
            latency_p50_s=_nearest_rank(latencies, 50),
            latency_p95_s=_nearest_rank(latencies, 95),
            last_attempt_at=max(a.at for a in records),
            ttft_p50_s=_nearest_rank(ttfts, 50),
            ttft_p95_s=_nearest_rank(ttfts, 95),
        )
    return stats


def session_stats(
    requests: Mapping[str, Sequence[RequestRecord]], attempts: Iterable[AttemptRecord]
) -> dict[str, SessionStats]:
    """Statistics over each session's kept requests, by session name; errors by kind
    count the session's failed attempts, as the SQLite store does."""
    failed: dict[str, list[AttemptRecord]] = {}
    for attempt in attempts:
        if not attempt.ok:
            failed.setdefault(attempt.session, []).append(attempt)
    stats: dict[str, SessionStats] = {}
    for session in sorted(requests):
        records = requests[session]
        if not records:
            continue
        ok = [r for r in records if r.ok]
        latencies = sorted(r.total_s for r in ok)
        ttfts = sorted(r.ttft_s for r in ok if r.ttft_s is not None)
        stats[session] = SessionStats(
            session=session,
            requests=len(records),
            successes=len(ok),
            fallbacks=sum(r.fallbacks for r in records),
            errors_by_kind=_kinds(failed.get(session, ())),
            latency_p50_s=_nearest_rank(latencies, 50),
            latency_p95_s=_nearest_rank(latencies, 95),
            ttft_p50_s=_nearest_rank(ttfts, 50),
            served_by=dict(sorted(Counter(r.served_by for r in ok).items())),
        )
    return stats


def decode_one(decode: Callable[[str, str], T], key: str, text: str) -> T | None:
    """One stored value decoded, or None (logged) when it is not one of ours."""
    try:
        return decode(key, text)
    except (ValueError, TypeError) as exc:
        log.warning("neoclone.store_entry_skipped", key=key, reason=str(exc))
        return None


def decoded(rows: Mapping[str, str], decode: Callable[[str, str], T]) -> dict[str, T]:
    """Each stored value decoded, by key in order; those that are not ours left out."""
    pairs = ((key, decode_one(decode, key, text)) for key, text in sorted(rows.items()))
    return {key: item for key, item in pairs if item is not None}
