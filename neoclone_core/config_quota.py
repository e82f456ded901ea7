"""The `[quota]` table: budgets a user sets below the free tiers' own limits.

    [quota]
    health_share = 0.1              # of every limit, kept for health checks

    [quota.providers.groq]          # every call with the Groq key together
    requests_per_day = 500

    [quota.models."openrouter/deepseek/deepseek-r1:free"]
    requests_per_day = 20
    tokens_per_minute = 8000

A budget only ever lowers what the catalog and the providers allow; the engine counts
it in the usage ledger like a provider's own limit (`execute/budget.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from neoclone_core.config_values import Table, count, share
from neoclone_core.models import RateLimit

_QUOTA_KEYS = ("health_share", "providers", "models")
_BUDGET_KEYS = ("requests_per_minute", "requests_per_day", "tokens_per_minute")


@attrs.frozen
class QuotaSettings:
    """Budgets per provider (all its models' calls together) and per model id, and the
    share of every limit kept for health checks (user requests may spend the rest)."""

    health_share: float = 0.0
    providers: Mapping[str, RateLimit] = attrs.field(factory=dict)
    models: Mapping[str, RateLimit] = attrs.field(factory=dict)


DEFAULT_QUOTA = QuotaSettings()


def read_quota_table(table: Table | None) -> QuotaSettings:
    """The `[quota]` table, checked; ConfigError naming the file and key otherwise."""
    if table is None:
        return DEFAULT_QUOTA
    table.expect_keys(_QUOTA_KEYS)
    return QuotaSettings(
        health_share=table.get("health_share", share, 0.0),
        providers=_budgets(table.table("providers")),
        models=_budgets(table.table("models")),
    )


def _budgets(table: Table | None) -> dict[str, RateLimit]:
    if table is None:
        return {}
    return {name: _budget(table.child(name)) for name in table.data}


def _budget(table: Table) -> RateLimit:
    table.expect_keys(_BUDGET_KEYS)
    if not table.data:
        table.fail("requests_per_day", "(or another budget) must be set: the table is empty")
    return RateLimit(*(table.get(key, count, None) for key in _BUDGET_KEYS))
