"""What a response's `x-ratelimit-*` headers say is left of the key's quota, as a
`QuotaReading` for the usage ledger.

Three families of headers say it, all read here, names in any case:

- Groq (and OpenAI): `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, resets as
  durations ("2m59.56s", "7.66s");
- Cerebras: the same with the window in the name (`-requests-day`, `-tokens-minute`),
  resets in seconds ("33011.38");
- OpenRouter: `X-RateLimit-{Limit,Remaining,Reset}` for requests, the reset in epoch
  milliseconds, also echoed in a 429 body's `error.metadata.headers`.

When a response states several windows for one unit (Cerebras' day and minute), the one
with the fewest left is kept: it is the one that stops the next call. A response that
states nothing readable gives None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neoclone_core.models import Allowance, QuotaReading
from neoclone_core.openai.retry_after import metadata_headers, number, reset_wait

__all__ = ["read_quota"]

_PREFIX = "x-ratelimit-"
_UNITS = ("requests", "tokens")


def read_quota(headers: Mapping[str, str], body_json: Any, now: float) -> QuotaReading | None:
    """The quota `headers` (or, when they hold none, the headers echoed in `body_json`)
    say is left; None when neither says anything readable. `now` is the POSIX time
    that durations count from."""
    for source in (headers, metadata_headers(body_json)):
        lowered = {
            low: value
            for name, value in source.items()
            if (low := name.lower()).startswith(_PREFIX)
        }
        if not lowered:
            continue
        reading = QuotaReading(*(_allowance(lowered, unit, now) for unit in _UNITS))
        if reading.requests is not None or reading.tokens is not None:
            return reading
    return None


def _allowance(headers: Mapping[str, str], unit: str, now: float) -> Allowance | None:
    """The tightest window `headers` state for `unit`; OpenRouter's unsuffixed headers
    count requests."""
    suffixes = [""] if unit == "requests" else []
    stated = f"{_PREFIX}remaining-{unit}"
    suffixes += [
        name.removeprefix(_PREFIX + "remaining")
        for name in headers
        if name == stated or name.startswith(stated + "-")
    ]
    found = [a for suffix in suffixes if (a := _window(headers, suffix, now)) is not None]
    return min(found, key=lambda a: a.remaining, default=None)


def _window(headers: Mapping[str, str], suffix: str, now: float) -> Allowance | None:
    remaining = number(headers.get(f"{_PREFIX}remaining{suffix}"))
    if remaining is None:
        return None
    limit = number(headers.get(f"{_PREFIX}limit{suffix}"))
    wait = reset_wait(headers.get(f"{_PREFIX}reset{suffix}"), now)
    return Allowance(
        int(remaining),
        None if limit is None else int(limit),
        None if wait is None else now + max(wait, 0.0),
    )
