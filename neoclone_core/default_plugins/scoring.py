"""The default scoring policy, with the seed's weights: capability 45, context 15,
provider preference 25, free 10, availability 5; 100 in all, every point explained.

**Capability** is graded by quality: the model's LMArena figure for what the request needs
(text, coding, math, creative writing or vision; `discover/knowledge_quality.py`) against the
strongest free model of the catalog that can serve it, with the difficulty deciding how much
quality to spend: a hard request aims at the best, an easy one 150 points lower and pays for
using scarce free quota (docs/recommendations.md, "How the 45 capability points are
computed"). Every figure used is cited in the reason.

**Availability** is the only component that learns. It rewards what the engine has
observed of a model: whether it is cooling down right now (rate limited, breaker open), how
often it succeeded, and how fast it answered. Reliability and speed share its 5 points
(3 and 2) instead of each taking a component of its own, so that the seed's five
components and their 100 stay as documented. Before a model has been called it gets
exactly half (2.5), the same as every other unobserved model: observations can only
reorder models once they exist, never before.

Scores from several scoring plugins are *summed* by the core, component by component;
see docs/recommendations.md for how a plugin chooses its weight.

Scoring runs once per request over the whole catalog (thousands of models), so each
component is arithmetic, and components that many models share (the same provider, the
same capabilities, the same context length) are built once and reused: they are frozen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from typing import NamedTuple, TypeVar

from neoclone_core.config import Settings
from neoclone_core.default_plugins._capability import (
    PLENTY_PER_DAY,
    Grading,
    capability_component,
    capability_component_context,
    estimated_difficulty,
    quality_share,
    spend_cost,
    unfit_capability,
)
from neoclone_core.default_plugins.selection import (
    allows_roleplay,
    hard_needs,
    lack_reason,
    unfit_facts,
    unsuited_knowledge,
)
from neoclone_core.discover.knowledge import KnowledgeBase, default_knowledge
from neoclone_core.discover.knowledge_quality import Quality, grades, metric_for, metric_label
from neoclone_core.hookspecs import hookimpl
from neoclone_core.models import Capability, ModelInfo, ScoreComponent, TaskProfile
from neoclone_core.score.observations import Observations

CAPABILITY, CONTEXT, PREFERENCE, FREE, AVAILABILITY = 45.0, 15.0, 25.0, 10.0, 5.0
RELIABILITY_SHARE, SPEED_SHARE = 0.6, 0.4  # of AVAILABILITY: 3 points and 2 points
AMPLE_CONTEXT = 32_768  # a context this large is ample for an ordinary request
HEADROOM = 2  # ...and for a large one, twice what it needs
SPEED_HALF_S = 5.0  # a median latency of 5 s earns half the speed share
UNKNOWN_CONTEXT_SHARE = 0.5

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# -- context ---------------------------------------------------------------------------------


def context_component(length: int | None, needed: int) -> ScoreComponent:
    """None for a context that cannot hold the task; full points for one that holds it
    with room (twice the need, and at least 32k); proportional in between. Unknown
    contexts get half."""
    if length is None:
        return ScoreComponent(
            "context", CONTEXT * UNKNOWN_CONTEXT_SHARE, CONTEXT, "context length unknown"
        )
    if length < needed:
        return ScoreComponent(
            "context", 0.0, CONTEXT, f"{length:,} tokens, less than the ~{needed:,} needed"
        )
    ample = max(HEADROOM * needed, AMPLE_CONTEXT)
    room = "ample room" if length >= ample else f"full points from {ample:,}"
    reason = f"{length:,} tokens for ~{needed:,} needed ({room})"
    return ScoreComponent("context", CONTEXT * min(1.0, length / ample), CONTEXT, reason)


# -- provider preference ---------------------------------------------------------------------


def preference_component(provider: str, preference: Sequence[str]) -> ScoreComponent:
    """Linear in the provider's rank in `provider_preference` (the first gets all 25);
    a provider not listed gets none. Without a configured order, every provider gets
    half, so the component does not reorder anything."""
    if not preference:
        return ScoreComponent("preference", PREFERENCE / 2, PREFERENCE, "no preference configured")
    if provider not in preference:
        return ScoreComponent("preference", 0.0, PREFERENCE, f"{provider} not in preference list")
    rank = preference.index(provider)
    points = PREFERENCE * (len(preference) - rank) / len(preference)
    return ScoreComponent(
        "preference", points, PREFERENCE, f"{provider} is preferred provider #{rank + 1}"
    )


# -- free ------------------------------------------------------------------------------------

_FREE = ScoreComponent("free", FREE, FREE, "free")
_PAID = ScoreComponent("free", 0.0, FREE, "paid")


def free_component(model: ModelInfo) -> ScoreComponent:
    """All or nothing: the provider says the model is free to call, or it does not."""
    return _FREE if model.free else _PAID


# -- availability (reliability and speed) ----------------------------------------------------

_UNOBSERVED = ScoreComponent(
    "availability", AVAILABILITY / 2, AVAILABILITY, "not called yet (neutral)"
)


def availability_component(model: ModelInfo, observations: Observations) -> ScoreComponent:
    """Nothing while the model or its provider is cooling down; otherwise reliability (the
    success rate, smoothed so that one call proves little) and speed (median latency)."""
    return _availability(model.id, observations)


def _availability(model_id: str, observations: Observations) -> ScoreComponent:
    if observations.cooling_down(model_id):  # the model or its whole provider
        return ScoreComponent("availability", 0.0, AVAILABILITY, "cooling down right now")
    stats = observations.of(model_id)
    if stats is None:
        return _UNOBSERVED
    reliability = (stats.successes + 1) / (stats.successes + stats.failures + 2)
    speed = 0.5 if stats.latency_p50_s is None else speed_factor(stats.latency_p50_s)
    points = AVAILABILITY * (RELIABILITY_SHARE * reliability + SPEED_SHARE * speed)
    latency = "" if stats.latency_p50_s is None else f", median {stats.latency_p50_s:.1f} s"
    reason = f"{stats.successes} ok / {stats.failures} failed{latency}"
    return ScoreComponent("availability", points, AVAILABILITY, reason)


def _availability_of(observations: Observations) -> Callable[[ModelInfo], ScoreComponent]:
    """`availability_component` for one scoring call: before the engine has seen or
    cooling down anything (the common case), every model is simply neutral."""
    if not observations.stats and not observations.cooldown_until:
        return lambda _: _UNOBSERVED
    return lambda model: _availability(model.id, observations)


def speed_factor(latency_s: float) -> float:
    """1 for an instant answer, 0.5 at `SPEED_HALF_S`, towards 0 for slow ones."""
    return 1.0 / (1.0 + max(latency_s, 0.0) / SPEED_HALF_S)


# -- the hook --------------------------------------------------------------------------------


class _Memo(dict[K, V]):
    """A value per distinct input, built on first use; a hit is a plain dict lookup."""

    def __init__(self, build: Callable[[K], V]) -> None:
        super().__init__()
        self.build = build

    def __missing__(self, key: K) -> V:
        value = self[key] = self.build(key)
        return value


class _Row(NamedTuple):
    """What scoring reads of one catalog entry for one metric and role-play allowance:
    nothing in it changes between requests, so it is built once per entry."""

    capabilities: frozenset[Capability]
    context_length: int | None
    provider: str
    free: bool
    fit_key: int  # context length and free in one int, for the `fits` memo
    grade_key: str | int  # why it cannot serve, or one int per (grade, daily limit)
    quality: Quality | None
    requests_per_day: int | None
    model_id: str


def _row(model: ModelInfo, base: KnowledgeBase, metric: str, roleplay: bool) -> _Row:
    knowledge = base.of(model)
    per_day = model.rate_limit.requests_per_day
    length, free = model.context_length, model.free
    fit_key = (-1 if length is None else length) * 2 + free
    if why := unsuited_knowledge(knowledge, roleplay):
        return _Row(
            model.capabilities, length, model.provider, free, fit_key, why, None, per_day, model.id
        )
    quality = grades(base, metric)(knowledge)
    # Limits above PLENTY_PER_DAY cost nothing, so they count as PLENTY_PER_DAY.
    limit = -1 if per_day is None else min(per_day, PLENTY_PER_DAY)
    key = id(quality) * _KEY_SPAN + limit + 1  # grades are interned: ids are stable
    return _Row(
        model.capabilities, length, model.provider, free, fit_key, key, quality, per_day, model.id
    )


_KEY_SPAN = PLENTY_PER_DAY + 2  # the distinct daily limits a grade key holds


def _capabilities(profile: TaskProfile, rows: Sequence[_Row]) -> list[ScoreComponent]:
    """Every model's capability component, in the order of `rows`: the best grade among
    the free models that can serve is found over distinct grades, and the components are
    built once per distinct (grade, daily limit) and shared. A model lacking a hard need,
    or no answer to this kind of request, gets none of the 45 points."""
    hard, needed = hard_needs(profile), profile.min_context
    fits = _Memo[int, bool](
        lambda fit: (
            unfit_facts(fit % 2 == 1, hard, None if fit < 0 else fit // 2, hard, needed) is None
        )
    )
    servable: dict[str | int, _Row]
    if hard:
        lacking = _Memo[frozenset[Capability], str](lambda caps: lack_reason(caps, hard))
        keys = [lacking[row.capabilities] or row.grade_key for row in rows]
        servable = {
            k: row
            for k, row in zip(keys, rows, strict=True)
            if isinstance(k, int) and fits[row.fit_key]
        }
    else:
        keys = [row.grade_key for row in rows]
        servable = {row.grade_key: row for row in rows if row.quality and fits[row.fit_key]}
    distinct = {row.grade_key: row for row in rows}  # one row per (grade, daily limit)
    best = max(
        servable.values(), key=lambda row: row.quality.score if row.quality else 0.0, default=None
    )
    difficulty, estimated = profile.difficulty, profile.difficulty is None
    if difficulty is None:
        difficulty = estimated_difficulty(profile)
    top = None if best is None or best.quality is None else best.quality.score
    best_id = "" if best is None else best.model_id
    grading = Grading(metric_for(profile), top, best_id, difficulty, estimated)
    build = _Builder(grading)
    built = {key: build(row.quality, row.requests_per_day) for key, row in distinct.items()}
    return [built[key] if isinstance(key, int) else _unfit(key) for key in keys]


class _Builder:
    """`capability_component` for one request, from parts shared between components: a
    catalog offers each model at several providers with several daily limits."""

    def __init__(self, grading: Grading) -> None:
        self.grading = grading
        best = grading.best
        target = grading.target
        self.shared = "" if best is None else capability_component_context(grading)
        self.shares = _Memo[float, float](
            lambda score: quality_share(score, best or score, target or score)
        )
        self.costs = _Memo[int | None, tuple[float, str]](self._cost)

    def _cost(self, per_day: int | None) -> tuple[float, str]:
        cost = spend_cost(per_day, self.grading.difficulty)
        if CAPABILITY * cost < 0.05:
            return cost, ""
        limit = "unknown" if per_day is None else f"{per_day:,}"
        return cost, f"; {limit} requests/day: {CAPABILITY * cost:.1f} kept for harder requests"

    def __call__(self, grade: Quality | None, per_day: int | None) -> ScoreComponent:
        if grade is None or not self.shared:
            return capability_component(grade, per_day, self.grading) if grade else _unfit("?")
        share = self.shares[grade.score]
        cost, told = self.costs[per_day]
        cost = min(share, cost)
        reason = f"{metric_label(self.grading.metric)}: {grade.citation}; {self.shared}{told}"
        return ScoreComponent("capability", CAPABILITY * (share - cost), CAPABILITY, reason)


@functools.cache
def _unfit(reason: str) -> ScoreComponent:
    return unfit_capability(reason)


@hookimpl
def neoclone_score(
    profile: TaskProfile,
    models: Sequence[ModelInfo],
    observations: Observations,
    settings: Settings,
) -> list[tuple[ScoreComponent, ...]]:
    """The five components for every model, in the order of `models`. Memoised: what a
    model is (its knowledge, its grade) once per catalog entry across requests; the
    components once per distinct input within a request, since a catalog repeats the
    same models (under several providers), context lengths and providers thousands of
    times."""
    preference = settings.provider_preference
    context = _Memo[int | None, ScoreComponent](
        lambda length: context_component(length, profile.min_context)
    )
    provider = _Memo[str, ScoreComponent](lambda name: preference_component(name, preference))
    availability = _availability_of(observations)
    base = default_knowledge()
    metric, roleplay = metric_for(profile), allows_roleplay(profile)
    rows = base.per_entry(
        ("scoring", metric, roleplay), models, lambda m: _row(m, base, metric, roleplay)
    )
    capability = _capabilities(profile, rows)
    return [
        (
            cap,
            context[row.context_length],
            provider[row.provider],
            _FREE if row.free else _PAID,
            availability(model),
        )
        for model, cap, row in zip(models, capability, rows, strict=True)
    ]
