"""What a provider says and declares about its free-tier quota, in the words the core
and provider plugins share.

A provider knows two things the core cannot guess: how its limits are counted (per
model or per account, and when its day starts again: `QuotaRules`), and what a
response's headers said was left (`QuotaReading`). Provider plugins set the first as a
class attribute and produce the second from each response (`OpenAICompatibleProvider.
quota_reading`); the engine's budget (`execute/budget.py`) turns both into the usage
ledger's windows and corrections (`state/usage.py`).
"""

from __future__ import annotations

import enum

import attrs

from neoclone_core.models import Allowance, QuotaReading, RateLimit

_NO_LIMIT = RateLimit()

__all__ = ["Allowance", "DayStart", "QuotaReading", "QuotaRules", "QuotaScope"]


class QuotaScope(str, enum.Enum):
    """Whose requests a provider's limits count: each model's on its own (Groq, Gemini,
    GitHub Models), or every call made with the key together (OpenRouter's free models:
    20 a minute and 50 a day across all of them)."""

    MODEL = "model"
    ACCOUNT = "account"

    def __str__(self) -> str:
        return self.value


class DayStart(str, enum.Enum):
    """When a provider's daily limit starts again: at midnight UTC, at midnight Pacific
    time (Gemini), or 24 hours after each request (a sliding day)."""

    UTC = "utc"
    PACIFIC = "pacific"
    SLIDING = "sliding"

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class QuotaRules:
    """How a provider counts its free tier. `Provider.quota_rules` when the plugin sets
    it, else the default: each model on its own, days from midnight UTC, minutes
    sliding (every provider documented so far counts minutes that way)."""

    scope: QuotaScope = QuotaScope.MODEL
    day_start: DayStart = DayStart.UTC
    account_limit: RateLimit = _NO_LIMIT
    """With `ACCOUNT` scope: the limits of every call made with the key together (the
    models' own `rate_limit` then says the same and is not counted twice)."""


DEFAULT_RULES = QuotaRules()
