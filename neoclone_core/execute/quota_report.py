"""What is left of every free-tier quota, as one JSON-able report: what `Neoclone.quota()`,
`Neoclone.stats()` and `neoclone quota` show.

One entry per window the ledger counts (a model's or an account's minute or day, per
key), with what was used, the limit claimed for it and what is left, and one per
standing statement of a provider ("0 requests left, resets at ..."). Keys appear as
their fingerprint only.
"""

from __future__ import annotations

from typing import Any

from neoclone_core.execute.budget import Budget
from neoclone_core.state.engine_state import PROVIDER_KEY_PREFIX
from neoclone_core.state.usage import Count, LedgerView, Stated, Window


def quota_report(budget: Budget) -> dict[str, Any]:
    """Every window and statement of the ledger, read now; empty without a ledger (or
    when it cannot be read)."""
    if budget.ledger is not None:
        flush = getattr(budget.ledger, "flush_usage", None)
        if callable(flush):
            flush()
    view = budget.view(fresh=True)
    if view is None:
        return {"windows": [], "stated": []}
    windows = sorted(view.counts.items(), key=lambda item: _order(item[0]))
    return {
        "windows": [_window(window, count, view) for window, count in windows],
        "stated": [_stated(s, view) for s in sorted(view.stated, key=_stated_order)],
    }


def _window(window: Window, count: Count, view: LedgerView) -> dict[str, Any]:
    resets_at = window.period.resets_at(view.now, count.oldest)
    return {
        **_who(window.scope, window.credential),
        "window": window.period.value,
        "requests": _amounts(count.requests, count.request_limit),
        "tokens": _amounts(count.tokens, count.token_limit),
        "resets_at": resets_at,
        "resets_in_s": max(resets_at - view.now, 0.0),
    }


def _stated(stated: Stated, view: LedgerView) -> dict[str, Any]:
    return {
        **_who(stated.scope, stated.credential),
        "unit": stated.unit,
        "left": max(stated.left, 0),
        "limit": stated.limit,
        "said_at": stated.said_at,
        "resets_at": stated.reset_at,
        "resets_in_s": max(stated.reset_at - view.now, 0.0),
    }


def _who(scope: str, credential: str) -> dict[str, Any]:
    """The provider, the model (None for a whole account) and the key's fingerprint."""
    if scope.startswith(PROVIDER_KEY_PREFIX):
        return {
            "provider": scope.removeprefix(PROVIDER_KEY_PREFIX),
            "model": None,
            "key": credential,
        }
    return {"provider": scope.partition("/")[0], "model": scope, "key": credential}


def _amounts(used: int, limit: int | None) -> dict[str, int | None]:
    return {"used": used, "limit": limit, "left": None if limit is None else max(limit - used, 0)}


def _order(window: Window) -> tuple[str, str, str]:
    return (window.scope, window.credential, window.period.value)


def _stated_order(stated: Stated) -> tuple[str, str, str]:
    return (stated.scope, stated.credential, stated.unit)
