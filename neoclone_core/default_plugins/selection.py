"""The default selection: turn scored models into a plan (the primary, then backups).

1. Drop what cannot serve the task: paid models (neoclone plans over free ones), models
   lacking a required capability, models whose context is too small. A model whose
   context is unknown is trusted with an ordinary request, but not with a long one.
2. Keep the best model first, then spread the backups over providers: the best model of
   each provider in turn, round after round, so that one provider's outage or rate limit
   cannot take the whole plan down with it.

Code and reasoning are skills every chat model has to some degree; a catalog may mark
none of its models with them. When nothing can serve a task only because of those two,
the plan falls back to the best general models and says so, rather than offering none.
Vision, tools and context are never relaxed: a model without them cannot serve at all.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable, Sequence

from neoclone_core._models import Capability, ModelInfo, Plan, ScoredModel, TaskProfile
from neoclone_core._ranking import Ranking
from neoclone_core.hookspecs import hookimpl

SOFT_CAPABILITIES = frozenset({Capability.CODE, Capability.REASONING})
TRUSTED_UNKNOWN_CONTEXT = 8_192  # every chat model today holds at least this


def unfit_reason(model: ModelInfo, required: frozenset[Capability], min_context: int) -> str | None:
    """Why `model` cannot serve a task, or None when it can."""
    if not model.free:
        return "paid"
    if missing := required - model.capabilities:
        return f"lack {', '.join(sorted(c.value for c in missing))}"
    if model.context_length is None:
        return "context unknown" if min_context > TRUSTED_UNKNOWN_CONTEXT else None
    if model.context_length < min_context:
        return f"context under {min_context:,} tokens"
    return None


def can_serve(model: ModelInfo, profile: TaskProfile) -> bool:
    """Whether `model` is free, has every required capability, and holds the task."""
    return unfit_reason(model, profile.required, profile.min_context) is None


def diversified(models: Sequence[ModelInfo], limit: int) -> list[ModelInfo]:
    """At most `limit` models: round after round, the next-best model of each provider,
    providers taken in the order of their best model."""
    queues: dict[str, list[ModelInfo]] = {}
    for model in models:
        queues.setdefault(model.provider, []).append(model)
    picked: list[ModelInfo] = []
    depth = 0
    while len(picked) < limit and any(len(q) > depth for q in queues.values()):
        picked.extend(q[depth] for q in queues.values() if len(q) > depth)
        depth += 1
    return picked[:limit]


_MODEL = operator.attrgetter("model")
_FACTS = operator.attrgetter("free", "capabilities", "context_length")


def _usable(
    ranked: Sequence[ScoredModel], required: frozenset[Capability], min_context: int
) -> tuple[list[ModelInfo], Counter[str]]:
    """The models that can serve, best first, and how many were dropped for each reason.
    Thousands of models share a few combinations of the facts that decide, so each
    combination is judged once."""
    verdicts: dict[tuple[bool, frozenset[Capability], int | None], str] = {}
    usable: list[ModelInfo] = []
    dropped: Counter[str] = Counter()
    models = ranked.models if isinstance(ranked, Ranking) else map(_MODEL, ranked)
    for model in models:  # a Ranking's, without building a ScoredModel for each
        facts = _FACTS(model)
        if (reason := verdicts.get(facts)) is None:
            reason = verdicts[facts] = unfit_reason(model, required, min_context) or ""
        if reason:
            dropped[reason] += 1
        else:
            usable.append(model)
    return usable, dropped


def _reasons(
    kept: int, total: int, dropped: Counter[str], plan: Sequence[ModelInfo]
) -> Iterable[str]:
    """The plan's story: what was dropped and why, and how the backups are spread."""
    if dropped:
        why = ", ".join(f"{count} {reason}" for reason, count in dropped.most_common())
        yield f"{kept} of {total} models can serve the task ({why})"
    providers = sorted({m.provider for m in plan})
    if len(providers) > 1:
        yield f"backups spread over {len(providers)} providers"
    elif len(plan) > 1:
        yield f"every model is from {providers[0]}: its outage would stop the whole plan"


@hookimpl(trylast=True)
def neoclone_select(profile: TaskProfile, ranked: Sequence[ScoredModel], max_models: int) -> Plan:
    """Free models that can serve the task, best first, backups provider-diversified."""
    usable, dropped = _usable(ranked, profile.required, profile.min_context)
    relaxed: tuple[str, ...] = ()
    soft = profile.required & SOFT_CAPABILITIES
    if not usable and soft:
        usable, dropped = _usable(ranked, profile.required - soft, profile.min_context)
        if usable:
            wanted = ", ".join(sorted(c.value for c in soft))
            relaxed = (f"no free model is marked for {wanted}: planned with the best others",)
    plan = diversified(usable, max_models)
    return Plan(models=plan, reasons=(*_reasons(len(usable), len(ranked), dropped, plan), *relaxed))
