"""The default selection: drop models that cannot serve the task, then take the best
model as primary and spread the backups across providers, so that one provider's
outage cannot take down the whole plan."""

from __future__ import annotations

from collections.abc import Sequence

from neoclone_core._models import ModelInfo, Plan, ScoredModel, TaskProfile
from neoclone_core.hookspecs import hookimpl


def can_serve(model: ModelInfo, profile: TaskProfile) -> bool:
    """The model has every required capability and a context that holds the task
    (a model of unknown context is given the benefit of the doubt)."""
    if not profile.required <= model.capabilities:
        return False
    return model.context_length is None or model.context_length >= profile.min_context


def diversified(models: Sequence[ModelInfo]) -> list[ModelInfo]:
    """Best model of each provider first (in score order), then the rest in score order."""
    seen: set[str] = set()
    firsts: list[ModelInfo] = []
    rest: list[ModelInfo] = []
    for model in models:
        (rest if model.provider in seen else firsts).append(model)
        seen.add(model.provider)
    return firsts + rest


@hookimpl(trylast=True)
def neoclone_select(profile: TaskProfile, ranked: Sequence[ScoredModel], max_models: int) -> Plan:
    """Free models that can serve the task, provider-diversified, at most `max_models`."""
    usable = [s.model for s in ranked if s.model.free and can_serve(s.model, profile)]
    plan = diversified(usable)[:max_models]
    dropped = len(ranked) - len(usable)
    reasons = (f"{dropped} models dropped: paid, missing a capability, or context too small",)
    return Plan(models=tuple(plan), reasons=reasons if dropped else ())
