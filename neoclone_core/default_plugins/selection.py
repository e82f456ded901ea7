"""The default selection: turn scored models into a plan (the primary, then backups).

1. Drop what cannot serve the task. These are hard needs, never relaxed: paid models
   (neoclone plans over free ones); models lacking a required capability that a model
   either has or has not (`vision` for an image, `tools` for a model that must act);
   models whose context is too small (a model of unknown context is trusted with an
   ordinary request, not with a long one); models that are not chat models (base
   checkpoints, speech, image and embedding models: they answer no conversation); and
   role-play fine-tunes, except for creative writing.
2. Keep the best model first, then spread the backups over providers: the best model of
   each provider in turn, round after round, so that one provider's outage or rate limit
   cannot take the whole plan down with it.

Code and reasoning are skills every chat model has to some degree, and how much is what
scoring grades (by the model's LMArena coding or maths figure): a catalog's `code` or
`reasoning` tags never drop a model.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from neoclone_core.discover.knowledge import ModelKnowledge, default_knowledge
from neoclone_core.hookspecs import hookimpl
from neoclone_core.models import Capability, ModelInfo, Plan, ScoredModel, TaskProfile
from neoclone_core.score.ranking import Ranking, catalog_key, distinct_values

SOFT_CAPABILITIES = frozenset({Capability.CODE, Capability.REASONING})
TRUSTED_UNKNOWN_CONTEXT = 8_192  # every chat model today holds at least this


def unfit_reason(model: ModelInfo, required: frozenset[Capability], min_context: int) -> str | None:
    """Why `model` cannot serve a task, or None when it can."""
    return unfit_facts(model.free, model.capabilities, model.context_length, required, min_context)


def unfit_facts(
    free: bool,
    capabilities: frozenset[Capability],
    context_length: int | None,
    required: frozenset[Capability],
    min_context: int,
) -> str | None:
    """`unfit_reason` from the facts that decide it."""
    if not free:
        return "paid"
    if missing := lack_reason(capabilities, required):
        return missing
    if context_length is None:
        return "context unknown" if min_context > TRUSTED_UNKNOWN_CONTEXT else None
    if context_length < min_context:
        return f"context under {min_context:,} tokens"
    return None


def lack_reason(capabilities: frozenset[Capability], required: frozenset[Capability]) -> str:
    """ "lack vision, tools" for the required capabilities a model lacks; "" for none."""
    missing = required - capabilities
    return f"lack {', '.join(sorted(c.value for c in missing))}" if missing else ""


def hard_needs(profile: TaskProfile) -> frozenset[Capability]:
    """The required capabilities a model must have to be planned: all but code and
    reasoning, which scoring grades instead."""
    return profile.required - SOFT_CAPABILITIES


def allows_roleplay(profile: TaskProfile) -> bool:
    """Whether a role-play fine-tune may serve: only for creative writing."""
    return "creative_writing" in profile.categories


def unsuited_reason(model: ModelInfo, roleplay_allowed: bool) -> str:
    """Why `model` is no answer to this conversation, by what its name says; "" if none."""
    return unsuited_knowledge(default_knowledge().of(model), roleplay_allowed) or ""


def unsuited_knowledge(knowledge: ModelKnowledge, roleplay_allowed: bool) -> str | None:
    """`unsuited_reason` from what is known of the model."""
    if not knowledge.is_chat:
        return "not for chat"
    if not roleplay_allowed and not knowledge.suited_for_general_chat:
        return "made for role-play"
    return None


def can_serve(model: ModelInfo, profile: TaskProfile) -> bool:
    """Whether `model` is free, a chat model fit for the request, has every hard need,
    and holds the task."""
    if unfit_reason(model, hard_needs(profile), profile.min_context) is not None:
        return False
    return not unsuited_reason(model, allows_roleplay(profile))


def diversified(models: Iterable[ModelInfo], limit: int) -> list[ModelInfo]:
    """At most `limit` models: round after round, the next-best model of each provider,
    providers taken in the order of their best model."""
    queues: dict[str, list[ModelInfo]] = {}
    for model in models:
        queue = queues.setdefault(model.provider, [])
        if len(queue) < limit:  # no provider is picked more than `limit` times
            queue.append(model)
        if len(queues) >= limit and len(queue) == 1:
            break  # `limit` providers: the first round alone fills the plan
    picked: list[ModelInfo] = []
    depth = 0
    while len(picked) < limit and any(len(q) > depth for q in queues.values()):
        picked.extend(q[depth] for q in queues.values() if len(q) > depth)
        depth += 1
    return picked[:limit]


_MODEL = operator.attrgetter("model")
_FACTS = operator.attrgetter("free", "capabilities", "context_length")


class _Verdicts(NamedTuple):
    """What decides whether each entry of a catalog can serve, as columns: the distinct
    (facts, what its name says) pairs, and each entry's index among them."""

    facts: tuple[tuple[bool, frozenset[Capability], int | None], ...]
    pairs: tuple[tuple[int, str], ...]  # (index in `facts`, why its name unsuits it or "")
    pair_of: tuple[int, ...]


def _verdicts(roleplay: bool, models: Sequence[ModelInfo]) -> _Verdicts:
    facts, facts_of = distinct_values(list(map(_FACTS, models)))
    unsuited = [unsuited_reason(m, roleplay) for m in models]
    pairs, pair_of = distinct_values(list(zip(facts_of, unsuited, strict=True)))
    return _Verdicts(facts, pairs, pair_of)


def _usable(
    ranked: Sequence[ScoredModel], profile: TaskProfile
) -> tuple[list[ModelInfo], Counter[str]]:
    """The models that can serve, best first, and how many were dropped for each reason.
    Thousands of models share a few combinations of the facts that decide, so each
    combination is judged once; the combinations of a catalog are found once, and what
    a name says is memoised by the knowledge base."""
    required, min_context = hard_needs(profile), profile.min_context
    roleplay = allows_roleplay(profile)
    if isinstance(ranked, Ranking):
        models, entries, positions = ranked.models, ranked.candidates, ranked.positions
    else:
        models = list(map(_MODEL, ranked))
        entries, positions = models, range(len(models))
    verdicts = default_knowledge().per_catalog(
        ("selection", roleplay), entries, lambda m: _verdicts(roleplay, m), catalog_key(entries)
    )
    unfit = [unfit_facts(*facts, required, min_context) or "" for facts in verdicts.facts]
    why = [unfit[facts] or unsuited for facts, unsuited in verdicts.pairs]
    reasons = list(map(why.__getitem__, map(verdicts.pair_of.__getitem__, positions)))
    usable = list(itertools.compress(models, map(operator.not_, reasons)))
    return usable, Counter(filter(None, reasons))


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
    """Free chat models that can serve the task, best first, backups provider-diversified."""
    usable, dropped = _usable(ranked, profile)
    plan = diversified(usable, max_models)
    return Plan(models=plan, reasons=tuple(_reasons(len(usable), len(ranked), dropped, plan)))
