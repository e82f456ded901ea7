"""The capability component's grading: quality for the need, spent by difficulty.

A hard request aims at the strongest free model that can serve it; an easy one aims
`EASY_SLACK` arena points lower and pays a share of the 45 points for using scarce free
quota, so that the strongest models keep their few daily requests for hard requests.
Until the analyser fills `TaskProfile.difficulty`, `estimated_difficulty` stands in.
docs/recommendations.md ("How the 45 capability points are computed") gives the formula.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Hashable, Sequence
from typing import NamedTuple

import attrs

from neoclone_core.default_plugins.selection import (
    hard_needs,
    lack_reason,
    unfit_facts,
    unsuited_knowledge,
)
from neoclone_core.discover.knowledge import KnowledgeBase
from neoclone_core.discover.knowledge_quality import Quality, grades, metric_for, metric_label
from neoclone_core.models import Capability, ModelInfo, ScoreComponent, TaskProfile
from neoclone_core.score.ranking import ComponentTable, distinct_values

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


# -- one catalog, graded for one request --------------------------------------------------------


class _Group(NamedTuple):
    """Catalog entries that earn one capability component: one grade and one daily limit
    (limits from `PLENTY_PER_DAY` up cost nothing, so they are one), or one reason why
    they cannot serve whatever the request."""

    grade: Quality | None
    per_day: int | None
    unsuited: str


class CatalogGrades(NamedTuple):
    """What capability grading reads of one catalog for one metric and role-play
    allowance, as columns: each entry's index in a few short tables, and the graded
    entries best first. Nothing in it depends on the request beyond the metric, so it is
    built once per catalog (`KnowledgeBase.per_catalog`)."""

    models: tuple[ModelInfo, ...]
    groups: tuple[_Group, ...]
    group_of: tuple[int, ...]
    capabilities: tuple[frozenset[Capability], ...]
    capabilities_of: tuple[int, ...]
    facts: tuple[tuple[bool, int | None], ...]  # (free, context length)
    facts_of: tuple[int, ...]
    by_grade: tuple[tuple[float, int, int], ...]  # (-score, position, group), sorted
    scores: tuple[float, ...]  # the groups' distinct grade scores...
    score_of: tuple[int, ...]  # ...and each group's index among them (past the end: none)
    days: tuple[int | None, ...]  # the groups' distinct daily limits, likewise
    day_of: tuple[int, ...]


def grade_catalog(
    base: KnowledgeBase, metric: str, roleplay: bool, models: tuple[ModelInfo, ...]
) -> CatalogGrades:
    """`models` graded on `metric`, role-play fine-tunes allowed or not, as columns."""
    grade = grades(base, metric)
    keys: list[Hashable] = []
    groups: dict[Hashable, _Group] = {}
    for model in models:
        knowledge, per_day = base.of(model), model.rate_limit.requests_per_day
        if why := unsuited_knowledge(knowledge, roleplay):
            keys.append(why)
            groups.setdefault(why, _Group(None, None, why))
            continue
        quality = grade(knowledge)  # grades are interned: equal grades are one object
        key = (id(quality), -1 if per_day is None else min(per_day, PLENTY_PER_DAY))
        keys.append(key)
        groups[key] = _Group(quality, per_day, "")  # the last entry stands for the group
    distinct, group_of = distinct_values(keys)
    capabilities, capabilities_of = distinct_values([m.capabilities for m in models])
    facts, facts_of = distinct_values([(m.free, m.context_length) for m in models])
    table = [groups[key] for key in distinct]
    graded = [g for g in table if g.grade is not None]
    scores, score_of = distinct_values([g.grade.score for g in graded])  # type: ignore[union-attr]
    days, day_of = distinct_values([g.per_day for g in graded])
    by_grade = sorted(
        (-table[g].grade.score, i, g)  # type: ignore[union-attr]
        for i, g in enumerate(group_of)
        if table[g].grade is not None
    )
    return CatalogGrades(
        models,
        tuple(table),
        group_of,
        capabilities,
        capabilities_of,
        facts,
        facts_of,
        tuple(by_grade),
        scores,
        _spread(score_of, table, len(scores)),
        days,
        _spread(day_of, table, len(days)),
    )


def _spread(indices: Sequence[int], groups: Sequence[_Group], none: int) -> tuple[int, ...]:
    """`indices` of the graded groups, spread over all `groups`: `none` for the others."""
    graded = iter(indices)
    return tuple([none if g.grade is None else next(graded) for g in groups])


def capability_components(
    profile: TaskProfile, catalog: CatalogGrades
) -> tuple[ComponentTable, Sequence[int]]:
    """Every model's capability component, as a table and each model's index in it: the
    best grade among the free models that can serve, then one component per group of the
    catalog, shared by its entries (its points now, the component when it is read). A
    model lacking a hard need, or no answer to this kind of request, gets none of the 45
    points."""
    hard, needed = hard_needs(profile), profile.min_context
    fits = [unfit_facts(free, hard, length, hard, needed) is None for free, length in catalog.facts]
    lacking = [lack_reason(capabilities, hard) for capabilities in catalog.capabilities]
    best = _best(catalog, fits, lacking)
    difficulty, estimated = profile.difficulty, profile.difficulty is None
    if difficulty is None:
        difficulty = estimated_difficulty(profile)
    if best is None:
        top, best_id = None, ""
    else:
        top = catalog.groups[catalog.group_of[best]].grade.score  # type: ignore[union-attr]
        best_id = catalog.models[best].id
    grading = Grading(metric_for(profile), top, best_id, difficulty, estimated)
    if not any(lacking):
        return _Builder(grading, catalog, []).table(), catalog.group_of
    # A model lacking a hard need: the component saying what it lacks, after the groups'.
    lack_at = [len(catalog.groups) + c if reason else -1 for c, reason in enumerate(lacking)]
    at = [
        lack if (lack := lack_at[c]) >= 0 else g
        for c, g in zip(catalog.capabilities_of, catalog.group_of, strict=True)
    ]
    return _Builder(grading, catalog, lacking).table(), at


def _best(catalog: CatalogGrades, fits: list[bool], lacking: list[str]) -> int | None:
    """The position of the model the request is graded against: the best grade among the
    free models that have every hard need and hold the request; among equal grades, the
    group that appears first in the catalog, and its last entry that can serve."""
    best, top, group = None, 0.0, -1
    facts_of, capabilities_of = catalog.facts_of, catalog.capabilities_of
    for score, i, g in catalog.by_grade:
        if best is not None and score > top:
            break  # a lower grade (scores are negated)
        if fits[facts_of[i]] and not lacking[capabilities_of[i]]:
            if best is None:
                best, top, group = i, score, g
            elif g == group:
                best = i
    return best


class _Builder:
    """The capability components of one request, one per group of the catalog (then one
    per set of capabilities lacking a hard need), from parts they share: a catalog offers
    each model at several providers with several daily limits. The points of all are
    computed at once, from one share per distinct grade and one cost per distinct daily
    limit; a component, whose reason cites every figure, when it is read."""

    def __init__(self, grading: Grading, catalog: CatalogGrades, lacking: Sequence[str]) -> None:
        self.grading, self.groups, self.lacking = grading, catalog.groups, lacking
        best, target = grading.best, grading.target
        self.shared = "" if best is None else capability_component_context(grading)
        self.shares = [quality_share(s, best or s, target or s) for s in catalog.scores]
        self.costs = [spend_cost(n, grading.difficulty) for n in catalog.days]
        shares = [*self.shares, 0.0]  # past the end: a group that cannot serve
        costs = [*self.costs, 0.0]
        self.points = [
            CAPABILITY * (share - (cost if cost < share else share))  # min(share, cost)
            for share, cost in zip(
                map(shares.__getitem__, catalog.score_of),
                map(costs.__getitem__, catalog.day_of),
                strict=True,
            )
        ]
        self.points += [0.0] * len(lacking)
        self.day_of = catalog.day_of

    def table(self) -> ComponentTable:
        """Every group's points; its component built when it is first read."""
        return ComponentTable(self.points, self.component)

    def component(self, index: int) -> ScoreComponent:
        """The component at `index` of the table, as `capability_component` builds it."""
        if index >= len(self.groups):
            return _unfit(self.lacking[index - len(self.groups)])
        group = self.groups[index]
        if group.grade is None:
            return _unfit(group.unsuited)
        if not self.shared:  # nothing can serve: each model is graded against itself
            return capability_component(group.grade, group.per_day, self.grading)
        cost = self.costs[self.day_of[index]]  # told before it is clipped to the share
        told = ""
        if CAPABILITY * cost >= 0.05:
            limit = "unknown" if group.per_day is None else f"{group.per_day:,}"
            told = f"; {limit} requests/day: {CAPABILITY * cost:.1f} kept for harder requests"
        reason = f"{metric_label(self.grading.metric)}: {group.grade.citation}; {self.shared}{told}"
        return ScoreComponent("capability", self.points[index], CAPABILITY, reason)


@functools.cache
def _unfit(reason: str) -> ScoreComponent:
    return unfit_capability(reason)


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
