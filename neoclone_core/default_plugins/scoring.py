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
often it succeeded, and how fast it answered, times the share left of its free-tier quota
where a limit is known (the usage ledger's count against it). Reliability and speed share
its 5 points (3 and 2) instead of each taking a component of its own, so that the seed's five
components and their 100 stay as documented. Before a model has been called it gets
exactly half (2.5), the same as every other unobserved model: observations can only
reorder models once they exist, never before.

Scores from several scoring plugins are *summed* by the core, component by component;
see docs/recommendations.md for how a plugin chooses its weight.

Scoring runs once per request over the whole catalog (thousands of models), so it works
by columns (`ScoreColumns`): what a catalog is (each entry's grade, daily limit, context
length, provider) is read once per catalog and kept across requests; per request, each
component is built once per distinct input (a grade and daily limit, a context length, a
provider) and shared by the models that have it, and a capability component, whose reason
cites every figure, is built only when it is read: ranking needs only its points.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from neoclone_core.config import Settings
from neoclone_core.default_plugins._capability import (
    CatalogGrades,
    capability_components,
    grade_catalog,
)
from neoclone_core.default_plugins.selection import allows_roleplay
from neoclone_core.discover.knowledge import default_knowledge
from neoclone_core.discover.knowledge_quality import metric_for
from neoclone_core.hookspecs import hookimpl
from neoclone_core.models import ModelInfo, ScoreComponent, TaskProfile
from neoclone_core.score.observations import Observations
from neoclone_core.score.ranking import ScoreColumns, catalog_key, distinct_values

CAPABILITY, CONTEXT, PREFERENCE, FREE, AVAILABILITY = 45.0, 15.0, 25.0, 10.0, 5.0
RELIABILITY_SHARE, SPEED_SHARE = 0.6, 0.4  # of AVAILABILITY: 3 points and 2 points
AMPLE_CONTEXT = 32_768  # a context this large is ample for an ordinary request
HEADROOM = 2  # ...and for a large one, twice what it needs
SPEED_HALF_S = 5.0  # a median latency of 5 s earns half the speed share
UNKNOWN_CONTEXT_SHARE = 0.5

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
    success rate, smoothed so that one call proves little) and speed (median latency),
    times the share left of its free-tier quota where a limit is known: selection spreads
    load over models before any of them runs out."""
    return _availability(model.id, observations)


def _availability(model_id: str, observations: Observations) -> ScoreComponent:
    if observations.cooling_down(model_id):  # the model or its whole provider
        return ScoreComponent("availability", 0.0, AVAILABILITY, "cooling down right now")
    stats, left = observations.of(model_id), observations.quota_share(model_id)
    if stats is None and left is None:
        return _UNOBSERVED
    if stats is None:
        points, reason = AVAILABILITY / 2, "not called yet"
    else:
        reliability = (stats.successes + 1) / (stats.successes + stats.failures + 2)
        speed = 0.5 if stats.latency_p50_s is None else speed_factor(stats.latency_p50_s)
        points = AVAILABILITY * (RELIABILITY_SHARE * reliability + SPEED_SHARE * speed)
        latency = "" if stats.latency_p50_s is None else f", median {stats.latency_p50_s:.1f} s"
        reason = f"{stats.successes} ok / {stats.failures} failed{latency}"
    if left is not None:
        points *= left
        reason += f", {left:.0%} of its free quota left"
    return ScoreComponent("availability", points, AVAILABILITY, reason)


def speed_factor(latency_s: float) -> float:
    """1 for an instant answer, 0.5 at `SPEED_HALF_S`, towards 0 for slow ones."""
    return 1.0 / (1.0 + max(latency_s, 0.0) / SPEED_HALF_S)


# -- the hook --------------------------------------------------------------------------------


class _Columns(NamedTuple):
    """What the other four components read of one catalog, as columns: each entry's
    index among the catalog's distinct context lengths and providers, whether it is free.
    Built once per catalog."""

    lengths: tuple[int | None, ...]
    length_of: tuple[int, ...]
    providers: tuple[str, ...]
    provider_of: tuple[int, ...]
    free_of: tuple[int, ...]  # 1 for a free model
    first: tuple[int, ...]  # index 0 for every entry
    entries: tuple[ModelInfo, ...]
    graded: dict[tuple[str, bool], CatalogGrades]  # by (metric, role-play allowed), on use


def _columns(models: tuple[ModelInfo, ...]) -> _Columns:
    lengths, length_of = distinct_values([m.context_length for m in models])
    providers, provider_of = distinct_values([m.provider for m in models])
    free_of = tuple([int(m.free) for m in models])
    return _Columns(
        lengths, length_of, providers, provider_of, free_of, (0,) * len(models), models, {}
    )


@hookimpl
def neoclone_score(
    profile: TaskProfile,
    models: Sequence[ModelInfo],
    observations: Observations,
    settings: Settings,
) -> ScoreColumns:
    """The five components for every model, in the order of `models`, by columns.
    Memoised: what a catalog is (each entry's knowledge, grade, context length,
    provider) once per catalog across requests; each component once per distinct input
    within a request, since a catalog repeats the same models (under several providers),
    context lengths and providers thousands of times."""
    base = default_knowledge()
    columns = base.per_catalog("scoring columns", models, _columns, catalog_key(models))
    needed, preference = profile.min_context, settings.provider_preference
    contexts = [context_component(length, needed) for length in columns.lengths]
    if preference:
        providers = [preference_component(name, preference) for name in columns.providers]
        preferred = providers, columns.provider_of
    else:  # every provider the same
        preferred = [preference_component("", preference)], columns.first
    key = (metric_for(profile), allows_roleplay(profile))
    if (graded := columns.graded.get(key)) is None:
        graded = columns.graded[key] = grade_catalog(base, *key, columns.entries)
    availability: tuple[Sequence[ScoreComponent], Sequence[int]]
    if not observations.stats and not observations.cooldown_until and not observations.quota_left:
        availability = [_UNOBSERVED], columns.first
    else:
        availability = [_availability(m.id, observations) for m in models], range(len(models))
    parts = [
        capability_components(profile, graded),
        (contexts, columns.length_of),
        preferred,
        ((_PAID, _FREE), columns.free_of),
        availability,
    ]
    return ScoreColumns(parts, len(models))
