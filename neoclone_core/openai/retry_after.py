"""How long a provider asked us to wait after a 429, wherever it said so.

Providers put the wait in five different places: `Retry-After` (seconds or an HTTP
date), `retry-after-ms`, Gemini's `RetryInfo` detail, OpenRouter's `X-RateLimit-Reset`
(epoch milliseconds, also echoed in `error.metadata.headers`), Groq and Cerebras'
per-limit `x-ratelimit-reset-*` durations ("7.66s", "2m59.56s"), and plain words in
the message ("try again in 50.5s"). `parse_retry_after` reads them in that order.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Mapping
from datetime import timezone
from typing import Any

from neoclone_core.openai.error_body import error_object, upstream_message

__all__ = ["duration_s", "metadata_headers", "number", "parse_retry_after", "reset_wait"]


# A reset time in epoch milliseconds, in epoch seconds, or a number of seconds to wait,
# told apart by size: 1e11 ms is 1973 and 1e11 s the year 5138; 1e9 s is 2001.
_EPOCH_MS_FROM = 1e11
_EPOCH_S_FROM = 1e9
_RESET_PREFIX = "x-ratelimit-reset-"
_REMAINING_PREFIX = "x-ratelimit-remaining-"
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WAIT_IN_TEXT = re.compile(
    r"(?i)(?:try again in|retry in|retry after|wait)\s+"
    r"((?:\d+(?:\.\d+)?(?:ms|h|m|s))+|\d+(?:\.\d+)?)\s*(seconds?|secs?|minutes?|mins?|hours?)?\b"
)
_WORD_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_retry_after(headers: Mapping[str, str], body_json: Any, now: float) -> float | None:
    """Seconds to wait before trying again, from wherever this provider says it; None
    when it does not. Never negative (a reset time in the past means now).

    Looked for in this order: `Retry-After` (seconds or an HTTP date) and
    `retry-after-ms`; Gemini's `google.rpc.RetryInfo.retryDelay` in `error.details`;
    `X-RateLimit-Reset` (OpenRouter's epoch milliseconds, epoch seconds, or seconds);
    per-limit resets such as Groq's `x-ratelimit-reset-tokens: 7.66s` (`_limit_reset`
    says which limit counts); the same headers echoed in OpenRouter's
    `error.metadata.headers`; and last a wait in the message's own words ("Please try
    again in 50.5s", "wait 33 seconds").
    """
    sources: tuple[Callable[[], float | None], ...] = (
        lambda: _header_wait(headers, now),
        lambda: _retry_info(body_json),
        lambda: _header_wait(metadata_headers(body_json), now),
        lambda: _wait_in_text(body_json),
    )
    for source in sources:
        wait = source()
        if wait is not None:
            return max(0.0, wait)
    return None


def _header_wait(headers: Mapping[str, str], now: float) -> float | None:
    lowered = {name.lower(): value for name, value in headers.items()}
    for wait in (
        _retry_after(lowered, now),
        reset_wait(lowered.get("x-ratelimit-reset"), now),
        _limit_reset(lowered),
    ):
        if wait is not None:
            return wait
    return None


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    if (millis := number(headers.get("retry-after-ms"))) is not None:
        return millis / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = number(value)
    return seconds if seconds is not None else _http_date_wait(value, now)


def _http_date_wait(value: str, now: float) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp() - now


def reset_wait(value: str | None, now: float) -> float | None:
    """A reset header: an epoch time in ms or s (told apart by size), or a wait."""
    stated = number(value)
    if stated is None:
        return duration_s(value)
    if stated >= _EPOCH_MS_FROM:
        return stated / 1000 - now
    if stated >= _EPOCH_S_FROM:
        return stated - now
    return stated


def _limit_reset(headers: Mapping[str, str]) -> float | None:
    """The wait from per-limit reset headers: Groq's `x-ratelimit-reset-requests` and
    `-tokens` ("2m59.56s", "7.66s"), Cerebras' `-requests-day` and `-tokens-minute`
    (seconds). Each pairs with an `x-ratelimit-remaining-<limit>` header.

    When some limits are exhausted (remaining 0) the wait is the latest of their resets,
    since all of them must refill. When none is said to be, the soonest reset: a
    daily reset hours away says when the day's whole budget refills, not when the next
    request may pass, and waiting too little costs only one more 429.
    """
    resets = {
        name.removeprefix(_RESET_PREFIX): wait
        for name, value in headers.items()
        if name.startswith(_RESET_PREFIX) and (wait := duration_s(value)) is not None
    }
    exhausted = [
        wait
        for limit, wait in resets.items()
        if number(headers.get(_REMAINING_PREFIX + limit)) == 0
    ]
    if exhausted:
        return max(exhausted)
    return min(resets.values(), default=None)


def _retry_info(body_json: Any) -> float | None:
    details = error_object(body_json).get("error")
    details = details.get("details") if isinstance(details, Mapping) else None
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith(
            "google.rpc.RetryInfo"
        ):
            return duration_s(detail.get("retryDelay"))
    return None


def metadata_headers(body_json: Any) -> Mapping[str, str]:
    """The response headers OpenRouter echoes in an error body's `error.metadata.headers`
    (empty when there are none)."""
    error = error_object(body_json).get("error")
    metadata = error.get("metadata") if isinstance(error, Mapping) else None
    headers = metadata.get("headers") if isinstance(metadata, Mapping) else None
    if not isinstance(headers, Mapping):
        return {}
    return {str(name): str(value) for name, value in headers.items()}


def _wait_in_text(body_json: Any) -> float | None:
    match = _WAIT_IN_TEXT.search(upstream_message(body_json, b""))
    if match is None:
        return None
    amount, word = match.groups()
    wait = duration_s(amount)
    if wait is not None and word and _NUMBER.fullmatch(amount):
        wait *= _WORD_UNIT_SECONDS[word[0].lower()]
    return wait


def number(value: str | None) -> float | None:
    """A header's value as a plain non-negative number, None when it is anything else."""
    if value is None or not _NUMBER.fullmatch(value.strip()):
        return None
    return float(value)


def duration_s(value: object) -> float | None:
    """Seconds in "7.66s", "2m59.56s", "1h2m", "150ms", "20s" or a bare number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if _NUMBER.fullmatch(text):
        return float(text)
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
