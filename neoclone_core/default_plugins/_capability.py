"""The capability component's grading: quality for the need, spent by difficulty.

A hard request aims at the strongest free model that can serve it; an easy one aims
`EASY_SLACK` arena points lower and pays a share of the 45 points for using scarce free
quota, so that the strongest models keep their few daily requests for hard requests.
Until the analyser fills `TaskProfile.difficulty`, `estimated_difficulty` stands in.
docs/recommendations.md ("How the 45 capability points are computed") gives the formula.
"""

from __future__ import annotations

import math
import re

import attrs

from neoclone_core.discover.knowledge_quality import Quality, metric_label
from neoclone_core.models import ScoreComponent, TaskProfile

CAPABILITY = 45.0


QUALITY_SCALE = 150.0  # arena points below the target that cost all 45 points
SURPLUS_WEIGHT = 0.1  # above the target, quality still counts a tenth as much
EASY_SLACK = 150.0  # an easy request's target: this far below the best that can serve
EASY, HARD = 0.35, 0.65  # the analyser's bands: below EASY easy, from HARD hard
SPEND_SHARE = 0.25  # of the 45: what an easy request pays for the scarcest quota
HARD_SPEND = 0.02  # ...and the share of that a hard request still pays: quota left breaks ties
PLENTY_PER_DAY, SCARCE_PER_DAY = 1_000, 10  # no cost from the first, the full cost from the second
UNKNOWN_PER_DAY = 300  # counted for a model whose daily limit is not known


def hardness(difficulty: float) -> float:
    """0 for an easy request (difficulty under `EASY`), 1 for a hard one (from `HARD`),
    in proportion between: how much of the best quality the request should get."""
    return min(1.0, max(0.0, (difficulty - EASY) / (HARD - EASY)))


def target_score(best: float, difficulty: float) -> float:
    """The quality a request needs: the best that can serve it for a hard request,
    `EASY_SLACK` below it for an easy one, in proportion between."""
    return best - (1.0 - hardness(difficulty)) * EASY_SLACK


def quality_share(score: float, best: float, target: float) -> float:
    """The share of the 45 points a model of `score` earns: each point it falls short of
    `target` costs 1/150 of them, each point between it and `best` above the target a
    tenth of that, so that a request gets what it needs and the stronger of two adequate
    models still ranks first. For a hard request (target = best) this is exactly
    ``1 - (best - score) / 150``."""
    shortfall = max(0.0, target - score)
    surplus = max(0.0, best - max(score, target))
    return min(1.0, max(0.0, 1.0 - (shortfall + SURPLUS_WEIGHT * surplus) / QUALITY_SCALE))


def scarcity(requests_per_day: int | None) -> float:
    """How scarce a model's free quota is: 0 from `PLENTY_PER_DAY` requests a day, 1 at
    `SCARCE_PER_DAY` or fewer, on a log scale between."""
    per_day = UNKNOWN_PER_DAY if requests_per_day is None else max(requests_per_day, 1)
    span = math.log(PLENTY_PER_DAY / SCARCE_PER_DAY)
    return min(1.0, max(0.0, math.log(PLENTY_PER_DAY / per_day) / span))


def spend_cost(requests_per_day: int | None, difficulty: float) -> float:
    """The share of the 45 points an easy request pays for using up scarce quota, which a
    hard request will want; for a hard request, a token amount that orders models of equal
    quality by the quota they have left."""
    share = max(1.0 - hardness(difficulty), HARD_SPEND)
    return SPEND_SHARE * share * scarcity(requests_per_day)


@attrs.frozen
class Grading:
    """What one request's capability points are measured against."""

    metric: str  # the figure graded: "text", "coding", "math", "creative" or "vision"
    best: float | None  # the best quality among the free models that can serve
    best_id: str
    difficulty: float
    estimated: bool  # the difficulty is this module's stand-in, not the analyser's

    @property
    def target(self) -> float | None:
        return None if self.best is None else target_score(self.best, self.difficulty)


def capability_component(
    grade: Quality, requests_per_day: int | None, grading: Grading
) -> ScoreComponent:
    """The 45 points for a model that can serve: its quality for the request's need
    against the target, less what an easy request pays for scarce quota; every figure
    used is cited."""
    best, target = grading.best, grading.target
    if best is None or target is None:  # nothing can serve; grade against the model itself
        best = target = grade.score
    share = quality_share(grade.score, best, target)
    cost = min(share, spend_cost(requests_per_day, grading.difficulty))
    parts = [
        f"{metric_label(grading.metric)}: {grade.citation}",
        capability_component_context(attrs.evolve(grading, best=best)),
    ]
    if cost * CAPABILITY >= 0.05:
        per_day = "unknown" if requests_per_day is None else f"{requests_per_day:,}"
        parts.append(f"{per_day} requests/day: {CAPABILITY * cost:.1f} kept for harder requests")
    return ScoreComponent("capability", CAPABILITY * (share - cost), CAPABILITY, "; ".join(parts))


def capability_component_context(grading: Grading) -> str:
    """The part of a capability reason every model of one request shares."""
    how = "estimated" if grading.estimated else "from the analysis"
    target = grading.target or 0.0
    return (
        f"best free {grading.best or 0.0:.0f} ({grading.best_id}), target {target:.0f}"
        f" for difficulty {grading.difficulty:.2f} ({how})"
    )


def unfit_capability(reason: str) -> ScoreComponent:
    """No capability points for a model that cannot serve the request at all."""
    return ScoreComponent("capability", 0.0, CAPABILITY, f"cannot serve: {reason}")


# -- difficulty: a STAND-IN until the analyser fills TaskProfile.difficulty -----------------
#
# The analyser is being taught to rate difficulty (issue 14). Until `profile.difficulty`
# arrives, this estimate, from the profile alone, decides how much quality to spend. It is
# deliberately plain, and is dropped once the analyser's figure is there.

_BASE_DIFFICULTY = {
    "reasoning": 0.55,
    "code": 0.5,
    "data_analysis": 0.45,
    "long_context": 0.4,
    "vision": 0.35,
    "tools": 0.3,
    "extraction": 0.3,
    "knowledge": 0.25,
    "creative_writing": 0.25,
    "translation": 0.25,
    "multilingual": 0.25,
}
_DEPTH = (
    re.compile(
        r"\b(prove|proof|theorem|lemma|integral|derivative|eigen\w*|polynomial|modulo|"
        r"combinatori\w*|probability|positive integers?|real numbers?|find all|remainder)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(implement|algorithm|optimi[sz]e|concurren\w*|thread-safe|lock-free|compiler|"
        r"interpreter|distributed|complexity|dynamic programming|from scratch|parser)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\b(step by step|puzzle|riddle|logic|deduce|constraints?)\b", re.IGNORECASE),
)


def estimated_difficulty(profile: TaskProfile) -> float:
    """STAND-IN for the analyser's difficulty, in [0, 1]: the main need's base (0.15 for
    small talk), plus 0.2 for each kind of depth the text shows (a proof or an integral;
    an algorithm to implement; a puzzle), plus up to 0.2 for a long request."""
    score = _BASE_DIFFICULTY.get(profile.main_need, 0.15)
    head = profile.text[:4_000]
    score += 0.2 * sum(1 for pattern in _DEPTH if pattern.search(head))
    words = len(head.split())
    if words > 60:
        score += min(0.2, 0.07 * math.log2(words / 60))
    return round(min(1.0, max(0.0, score)), 3)
