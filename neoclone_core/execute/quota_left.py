"""What is left of a model's free-tier quota, and of a pool of models (a plan): what the
gateway's `x-ratelimit-*` headers say.

A model's quota is the tightest of the windows a call of it claims (`Budget.claims`:
its own minute and day, its account's, the user's budgets) and of what its provider
last said, each read from the usage ledger; with several keys, what each key has left
adds up. A pool's is the sum over its models whose quota is known, each window once (models
of a provider that counts per account share its windows): a model without any known
limit has no figure to add, so it is left out rather than counted as endless.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from neoclone_core.execute.budget import Budget
from neoclone_core.models import ModelInfo
from neoclone_core.state.engine_state import provider_key
from neoclone_core.state.usage import REQUESTS, TOKENS, Count, LedgerView

if TYPE_CHECKING:
    from neoclone_core.execute.engine import Engine


@attrs.frozen
class Left:
    """What is left of one unit (requests or tokens): `left` of `limit`, and when the
    tightest window next gives room back (None: nothing spent in it yet); `windows`
    names the windows it was read from, so that models sharing one (an account's) count
    it once in a pool."""

    left: int
    limit: int
    resets_at: float | None = None
    windows: frozenset[str] = frozenset()


@attrs.frozen
class QuotaLeft:
    """What is left of a model's (or a pool's) requests and tokens; None where no limit
    is known."""

    requests: Left | None = None
    tokens: Left | None = None


def plan_left(engine: Engine, models: Sequence[ModelInfo]) -> QuotaLeft:
    """What is left across `models` (a plan's), read from the engine's ledger now (not
    the view the engine reads once a `state_sync_s`: a client reading the figure after
    each response must see its own requests counted)."""
    served = [model for model in models if model.provider in engine.catalog.providers]
    if not any(_may_be_known(engine, model) for model in served):
        return QuotaLeft()  # no figure to read: the ledger is not read for nothing
    view = engine.budget.view(fresh=True)
    if view is None:
        return QuotaLeft()
    return pool_left(engine_model_left(engine, model, view) for model in served)


def _may_be_known(engine: Engine, model: ModelInfo) -> bool:
    """Whether any figure of `model`'s quota can be known: a limit one of its windows
    has, or a statement its provider made of it (read in the view of at most
    `state_sync_s` ago, which the budget drops whenever this process records one)."""
    budget = engine.budget
    for endpoint in engine.endpoints(model.provider):
        for claim in budget.claims(model, endpoint.credential):
            if claim.request_limit is not None or claim.token_limit is not None:
                return True
    view = budget.view()
    scopes = _statement_scopes(model)
    return view is not None and any(stated.scope in scopes for stated in view.stated)


def _statement_scopes(model: ModelInfo) -> set[str]:
    """What a provider's statement of `model`'s quota names: the model or the provider."""
    return {model.id, provider_key(model.provider)}


def engine_model_left(engine: Engine, model: ModelInfo, view: LedgerView) -> QuotaLeft:
    """What is left of `model`'s quota with every key of its provider."""
    credentials = [endpoint.credential for endpoint in engine.endpoints(model.provider)]
    return model_left(engine.budget, model, credentials, view)


def model_left(
    budget: Budget, model: ModelInfo, credentials: Sequence[str], view: LedgerView
) -> QuotaLeft:
    """What is left of `model`'s quota with all of `credentials` (its provider's keys)."""
    per_key = [_key_left(budget, model, credential, view) for credential in credentials]
    return QuotaLeft(_sum(k.requests for k in per_key), _sum(k.tokens for k in per_key))


def pool_left(lefts: Iterable[QuotaLeft]) -> QuotaLeft:
    """What is left across models: the sum of each unit over those that know it."""
    known = list(lefts)
    return QuotaLeft(_sum(k.requests for k in known), _sum(k.tokens for k in known))


def _key_left(budget: Budget, model: ModelInfo, credential: str, view: LedgerView) -> QuotaLeft:
    """The tightest window and statement of each unit for one key."""
    found: dict[str, list[Left]] = {REQUESTS: [], TOKENS: []}
    for claim in budget.claims(model, credential):
        count = view.counts.get(claim.window, Count())
        resets_at = claim.window.period.resets_at(view.now, count.oldest)
        for unit, used, limit in (
            (REQUESTS, count.requests, claim.request_limit),
            (TOKENS, count.tokens, claim.token_limit),
        ):
            if limit is not None:
                spent = count.oldest is not None or used > 0
                left = Left(
                    max(limit - used, 0),
                    limit,
                    resets_at if spent else None,
                    frozenset({f"{claim.window.key}|{unit}"}),
                )
                found[unit].append(left)
    scopes = _statement_scopes(model)
    for stated in view.stated:
        if stated.scope in scopes and stated.credential == credential:
            limit = stated.limit if stated.limit is not None else max(stated.left, 0)
            said = frozenset({f"{stated.scope}|{stated.credential}|said|{stated.unit}"})
            found[stated.unit].append(Left(max(stated.left, 0), limit, stated.reset_at, said))
    return QuotaLeft(_tightest(found[REQUESTS]), _tightest(found[TOKENS]))


def _tightest(lefts: Sequence[Left]) -> Left | None:
    return min(lefts, key=lambda left: (left.left, left.limit), default=None)


def _sum(lefts: Iterable[Left | None]) -> Left | None:
    """The lefts added up, one read from windows already counted left out."""
    known: list[Left] = []
    counted: set[str] = set()
    for left in lefts:
        if left is not None and not left.windows <= counted:
            known.append(left)
            counted |= left.windows
    if not known:
        return None
    resets = [left.resets_at for left in known if left.resets_at is not None]
    return Left(
        sum(left.left for left in known),
        sum(left.limit for left in known),
        min(resets) if resets else None,
        frozenset(counted),
    )
