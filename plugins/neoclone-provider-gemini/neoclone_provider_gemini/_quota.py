"""What Gemini's 429 says of the free tier: which of its quotas ran out, and so until when.

Gemini sends no `x-ratelimit-*` headers. Its 429 body (`RESOURCE_EXHAUSTED`) carries a
`google.rpc.QuotaFailure` detail naming each quota the request broke
(`GenerateRequestsPerDayPerProjectPerModel-FreeTier`,
`GenerateContentInputTokensPerModelPerMinute-FreeTier`, ...) and a `google.rpc.RetryInfo`
delay. The delay alone is only the minute's wait: once a per-day quota is out, a call
every 20 seconds would be refused all day. So a day quota reads as nothing left until
midnight Pacific time, when "requests per day (RPD) quotas reset"
(https://ai.google.dev/gemini-api/docs/rate-limits); a minute quota as nothing left
until the delay has passed (a minute when the body gives none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neoclone_core.models import Allowance, QuotaReading
from neoclone_core.openai.error_body import error_object
from neoclone_core.openai.retry_after import duration_s
from neoclone_core.state.usage import Period

__all__ = ["quota_from_error"]

_MINUTE_S = 60.0


def quota_from_error(body: object, now: float) -> QuotaReading | None:
    """The quotas a 429 body names as out, as a reading (requests and tokens, each out
    until the latest reset among its broken quotas); None for any other body."""
    details = _details(body)
    broken = [
        str(violation.get("quotaId", ""))
        for detail in details
        if _is(detail, "QuotaFailure")
        for violation in _list(detail.get("violations"))
        if isinstance(violation, Mapping)
    ]
    if not broken:
        return None
    delays = [duration_s(d.get("retryDelay")) for d in details if _is(d, "RetryInfo")]
    minute_reset = now + next((d for d in delays if d is not None), _MINUTE_S)
    day_reset = Period.DAY_PACIFIC.day(now)[1]
    resets: dict[str, float] = {}
    for quota_id in broken:
        unit = "tokens" if "Tokens" in quota_id else "requests"
        reset = day_reset if "PerDay" in quota_id else minute_reset
        resets[unit] = max(reset, resets.get(unit, reset))
    return QuotaReading(*(_out_until(resets.get(unit)) for unit in ("requests", "tokens")))


def _out_until(reset_at: float | None) -> Allowance | None:
    return None if reset_at is None else Allowance(0, None, reset_at)


def _details(body: object) -> list[Mapping[str, Any]]:
    error = error_object(body).get("error")
    details = error.get("details") if isinstance(error, Mapping) else None
    return [d for d in _list(details) if isinstance(d, Mapping)]


def _is(detail: Mapping[str, Any], kind: str) -> bool:
    return str(detail.get("@type", "")).endswith(f"google.rpc.{kind}")


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
