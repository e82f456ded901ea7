"""How good a catalog model is at what a request needs, on one scale, with the figure cited.

Scoring grades every model on the LMArena figure that fits the request's main need:

| need | figure |
|---|---|
| an image to look at (`vision` required) | LMArena vision |
| code | LMArena coding |
| reasoning, mathematics | LMArena math |
| creative writing | LMArena creative writing |
| anything else | LMArena text |

A model without that figure is graded on its general (text) figure, moved by the median
difference between the two boards over the families that have both (vision ratings run
about 170 points below text ones; the category boards within a few points). A prior, an
estimate from size and kind rather than a measurement, counts `PRIOR_DISCOUNT` points less:
an unmeasured model should not displace a measured one of the same estimate.

`Quality.citation` is what an explanation quotes: "LMArena math 1396, snapshot 2025-12-11",
or "prior: 8B instruct model, no leaderboard entry (1168, counted 1138)".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from neoclone_core.discover.knowledge import Figure, KnowledgeBase, ModelKnowledge
from neoclone_core.models import Capability, TaskProfile

PRIOR_DISCOUNT = 30.0  # arena points an estimate counts less than a measurement
SPECIALIST_PRIOR = 40.0  # ...and what a prior gains on its own board (a coder on coding)
_SPECIALISTS = {"coding": "coder", "math": "reasoning"}

_METRIC_BY_NEED = {"code": "coding", "reasoning": "math", "creative_writing": "creative"}
_LABELS = {
    "text": "general quality",
    "coding": "code",
    "math": "reasoning and maths",
    "creative": "creative writing",
    "vision": "vision",
}


def metric_for(profile: TaskProfile) -> str:
    """The arena figure a request is graded on: vision when it brings an image, else its
    main need's (code, maths, creative writing), else a required skill's, else text."""
    if Capability.VISION in profile.required:
        return "vision"
    if metric := _METRIC_BY_NEED.get(profile.main_need):
        return metric
    if Capability.CODE in profile.required:
        return "coding"
    if Capability.REASONING in profile.required:
        return "math"
    return "text"


def metric_label(metric: str) -> str:
    """The need a metric measures, in words: "reasoning and maths" for "math"."""
    return _LABELS.get(metric, metric)


@attrs.frozen
class Quality:
    """A model's grade for one metric: the score counted, and where it comes from."""

    score: float  # on the metric's arena scale, priors already discounted
    citation: str
    is_prior: bool


def grades(base: KnowledgeBase, metric: str) -> Callable[[ModelKnowledge], Quality]:
    """`quality` on `metric` for the models `base` placed, memoised in the base: a
    model's grade does not change between requests, and equal grades are one object (so
    that what is built from a grade can be shared by identity)."""
    memo: dict[int, Quality] = base.derived.setdefault(("grades", metric), {})
    interned: dict[Quality, Quality] = base.derived.setdefault("interned grades", {})
    offsets = base.board_offsets

    def grade(knowledge: ModelKnowledge) -> Quality:
        if (hit := memo.get(id(knowledge))) is None:
            value = quality(knowledge, metric, offsets)
            hit = memo[id(knowledge)] = interned.setdefault(value, value)
        return hit

    return grade


def quality(knowledge: ModelKnowledge, metric: str, offsets: Mapping[str, float]) -> Quality:
    """`knowledge` graded on `metric`; `offsets` as `KnowledgeBase.board_offsets` gives them."""
    own = knowledge.figures.get(metric)
    if own is not None and not own.is_prior:
        return Quality(own.score, own.cite(), is_prior=False)
    general = knowledge.figure("text")
    moved = general.score + offsets.get(metric, 0.0)
    if general.is_prior:
        specialist = _SPECIALISTS.get(metric) in knowledge.kinds
        return _prior(general, moved + (SPECIALIST_PRIOR if specialist else 0.0), specialist)
    shift = f", {moved - general.score:+.0f} for {metric}" if moved != general.score else ""
    name = "LMArena " + ("vision" if metric == "vision" else metric)
    citation = f"no {name} entry; {general.cite()}{shift}" if metric != "text" else general.cite()
    return Quality(moved, citation, is_prior=False)


def _prior(general: Figure, moved: float, specialist: bool = False) -> Quality:
    """An estimate, discounted; one for a model made for the board's need (a coder on
    coding, a reasoning model on maths) was raised by `SPECIALIST_PRIOR` first."""
    counted = moved - PRIOR_DISCOUNT
    made_for = f", +{SPECIALIST_PRIOR:.0f} made for it" if specialist else ""
    note = f"prior: {general.note} ({moved:.0f}{made_for}, counted {counted:.0f})"
    return Quality(counted, note, is_prior=True)
