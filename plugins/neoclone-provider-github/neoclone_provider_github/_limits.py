"""GitHub Models' documented free-usage limits, per rate-limit tier and per model.

Source: GitHub Docs, "Prototyping with AI models", section "Rate limits"
(docs.github.com/en/github-models/use-github-models/prototyping-with-ai-models#rate-limits),
the Copilot Free column; where that column says "Not applicable" (OpenAI's o-series and
gpt-5 family) the Copilot Pro column, since those models are only served to Copilot
subscribers. The page warns that the limits change without notice.

Besides requests per minute and per day, the free usage caps tokens per request: 8,000
in and 4,000 out for the low and high tiers, 4,000 in for every custom-tier model. The
input cap is what a prompt must fit, so it bounds the catalog's context length.
"""

from __future__ import annotations

import attrs

from neoclone_core import RateLimit


@attrs.frozen
class FreeLimits:
    """What one model allows for free: its rate limit and the input tokens per request."""

    rate_limit: RateLimit = attrs.field(factory=RateLimit)
    max_input_tokens: int | None = None


TIER_LIMITS = {
    "low": FreeLimits(RateLimit(requests_per_minute=15, requests_per_day=150), 8000),
    "high": FreeLimits(RateLimit(requests_per_minute=10, requests_per_day=50), 8000),
}
"""The two general tiers, by the catalog's `rate_limit_tier`."""

CUSTOM_INPUT_TOKENS = 4000
"""Every custom-tier row of the table allows 4,000 input tokens per request."""


def _custom(per_minute: int, per_day: int) -> FreeLimits:
    return FreeLimits(RateLimit(per_minute, per_day), CUSTOM_INPUT_TOKENS)


_ONE_A_MINUTE_EIGHT_A_DAY = _custom(1, 8)
_O_SERIES_MINI = _custom(2, 12)  # Copilot Pro; not served on Copilot Free

CUSTOM_LIMITS = {
    "deepseek-r1": _ONE_A_MINUTE_EIGHT_A_DAY,
    "deepseek-r1-0528": _ONE_A_MINUTE_EIGHT_A_DAY,
    "mai-ds-r1": _ONE_A_MINUTE_EIGHT_A_DAY,
    "grok-3": _custom(1, 15),
    "grok-3-mini": _custom(2, 30),
    # Copilot Pro figures: these are not served on Copilot Free.
    "o1-preview": _ONE_A_MINUTE_EIGHT_A_DAY,
    "o1": _ONE_A_MINUTE_EIGHT_A_DAY,
    "o3": _ONE_A_MINUTE_EIGHT_A_DAY,
    "gpt-5": _ONE_A_MINUTE_EIGHT_A_DAY,
    "o1-mini": _O_SERIES_MINI,
    "o3-mini": _O_SERIES_MINI,
    "o4-mini": _O_SERIES_MINI,
    "gpt-5-mini": _O_SERIES_MINI,
    "gpt-5-nano": _O_SERIES_MINI,
    "gpt-5-chat": _O_SERIES_MINI,
}
"""Custom-tier models by the name after the publisher, lowercased ("openai/o3" → "o3")."""


def free_limits(model_id: str, tier: str) -> FreeLimits:
    """The documented limits for `model_id` in `tier`; unknown parts are None.

    A custom-tier model the table does not name still gets the custom input cap.
    """
    tier = tier.strip().lower()
    if tier in TIER_LIMITS:
        return TIER_LIMITS[tier]
    if tier == "custom":
        name = model_id.rpartition("/")[2].lower()
        return CUSTOM_LIMITS.get(name, FreeLimits(max_input_tokens=CUSTOM_INPUT_TOKENS))
    return FreeLimits()
