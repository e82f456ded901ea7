"""Making a plan from a ranking, the rule every plan ends by, and the plan's models shown as
recommendations.

The selection plugins choose the models (`neoclone_select`); the core then applies one
rule to every plan, whoever made it: it ends with a model that runs on this machine (a
provider marked `last_resort`), because free tiers fail in bursts and the local model is
always there. The config's `local_fallback = false` opts out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from neoclone_core.models import ModelInfo, Plan, Score, ScoredModel, TaskProfile
from neoclone_core.score.ranking import Ranking

if TYPE_CHECKING:
    from neoclone_core.config import Settings
    from neoclone_core.plugins import Plugins


@attrs.frozen
class Recommendation:
    """A recommended model, its rank (1 = best), its score, and the task it was scored for."""

    rank: int
    model: ModelInfo
    score: Score
    profile: TaskProfile


def select_plan(
    plugins: Plugins,
    profile: TaskProfile,
    ranked: Sequence[ScoredModel],
    max_models: int,
    settings: Settings,
) -> Plan:
    """The first selection plugin's plan over `ranked`; an empty plan if none gives one."""
    kwargs = {"profile": profile, "ranked": ranked, "max_models": max_models, "settings": settings}
    plan = plugins.first_result("neoclone_select", kwargs)
    return plan if isinstance(plan, Plan) else Plan(models=())


def with_last_resort(plan: Plan, last_resort: ModelInfo | None, *, enabled: bool) -> Plan:
    """`plan` ending with `last_resort`, unless disabled, absent, or a model of the plan
    already runs on this machine."""
    if not enabled or last_resort is None:
        return plan
    if any(m.provider == last_resort.provider for m in plan.models):
        return plan
    reason = f"{last_resort.id} added last: it runs on this machine, whatever the network"
    return Plan(models=(*plan.models, last_resort), reasons=(*plan.reasons, reason))


def with_left_out(plan: Plan, keyless: Mapping[str, str]) -> Plan:
    """`plan` with a reason naming the providers left out for want of a key, and the
    variables that would add them."""
    if not keyless:
        return plan
    names = ", ".join(sorted(keyless))
    keys = ", ".join(sorted(set(keyless.values())))
    reason = f"left out, no key set: {names} (set {keys} to add them)"
    return Plan(models=plan.models, reasons=(*plan.reasons, reason))


def recommendations(
    profile: TaskProfile, plan: Plan, ranked: Sequence[ScoredModel]
) -> list[Recommendation]:
    """The plan's models as recommendations, each with the score it was ranked by (the
    catalog is scored once: a plugin scoring relative to the others sees them all)."""
    return [
        Recommendation(rank, model, _score_of(ranked, model) or Score(model.id), profile)
        for rank, model in enumerate(plan.models, start=1)
    ]


def _score_of(ranked: Sequence[ScoredModel], model: ModelInfo) -> Score | None:
    """The score `model` was ranked by: looked up in a `Ranking` without building the
    others; in any other sequence, found by id."""
    if isinstance(ranked, Ranking):
        return ranked.score_of(model)
    return next((s.score for s in ranked if s.model.id == model.id), None)
