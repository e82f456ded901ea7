"""The default scoring policy, with the seed's weights: capability 45, context 15,
provider preference 25, free 10, availability 5; 100 in all, every point explained.

**Availability** is the only component that learns. It rewards what the engine has
observed of a model: whether it is benched right now (rate limited, breaker open), how
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

import operator
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from neoclone_core._config import Settings
from neoclone_core._models import Capability, ModelInfo, ScoreComponent, TaskProfile
from neoclone_core._observations import Observations
from neoclone_core.hookspecs import hookimpl
from neoclone_core.provider_kit import is_code_model

CAPABILITY, CONTEXT, PREFERENCE, FREE, AVAILABILITY = 45.0, 15.0, 25.0, 10.0, 5.0
RELIABILITY_SHARE, SPEED_SHARE = 0.6, 0.4  # of AVAILABILITY: 3 points and 2 points
AMPLE_CONTEXT = 32_768  # a context this large is ample for an ordinary request
HEADROOM = 2  # ...and for a large one, twice what it needs
SPEED_HALF_S = 5.0  # a median latency of 5 s earns half the speed share
UNKNOWN_CONTEXT_SHARE = 0.5
SPECIALIST_SHARE = 0.8  # of the capability points, for a code model on a task without code

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# -- capability ------------------------------------------------------------------------------


def capability_component(
    capabilities: frozenset[Capability], profile: TaskProfile, *, made_for_code: bool = False
) -> ScoreComponent:
    """Required capabilities count twice as much as preferred ones; a task that needs
    none gives every model full points. A model `made_for_code` (a coder, by its name)
    keeps `SPECIALIST_SHARE` of them for a task that neither needs nor prefers code:
    it can write a haiku, but a general model is the better pick."""
    required = profile.required - {Capability.TEXT}
    preferred = profile.preferred - required - {Capability.TEXT}
    if not required and not preferred:
        share, reason = 1.0, "no special capability needed"
    else:
        earned = 2 * len(required & capabilities) + len(preferred & capabilities)
        share = earned / (2 * len(required) + len(preferred))
        reason = _capability_reason(required, preferred, capabilities)
    if made_for_code and Capability.CODE not in required | preferred:
        share *= SPECIALIST_SHARE
        reason = f"{reason}; made for code, which the task does not need"
    return ScoreComponent("capability", CAPABILITY * share, CAPABILITY, reason)


def _capability_reason(
    required: frozenset[Capability],
    preferred: frozenset[Capability],
    capabilities: frozenset[Capability],
) -> str:
    """Which wanted capabilities the model has and lacks, required ones marked."""
    parts = []
    if has := sorted(c.value for c in (required | preferred) & capabilities):
        parts.append(f"has {', '.join(has)}")
    if lacks := sorted(c.value for c in required - capabilities):
        parts.append(f"lacks required {', '.join(lacks)}")
    if lacks := sorted(c.value for c in preferred - capabilities):
        parts.append(f"lacks preferred {', '.join(lacks)}")
    return "; ".join(parts)


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
    """Nothing while the model or its provider is benched; otherwise reliability (the
    success rate, smoothed so that one call proves little) and speed (median latency)."""
    return _availability(model.id, observations)


def _availability(model_id: str, observations: Observations) -> ScoreComponent:
    if observations.cooling_down(model_id):  # the model or its whole provider
        return ScoreComponent("availability", 0.0, AVAILABILITY, "benched right now")
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
    benched anything (the common case), every model is simply neutral."""
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


_FACTS = operator.attrgetter("capabilities", "context_length", "provider", "free")
CODE = Capability.CODE


@hookimpl
def neoclone_score(
    profile: TaskProfile,
    models: Sequence[ModelInfo],
    observations: Observations,
    settings: Settings,
) -> list[tuple[ScoreComponent, ...]]:
    """The five components for every model, in the order of `models`. Memoised per call:
    a catalog repeats the same capabilities, context lengths and providers thousands of
    times. Coders are told apart by name (see `capability_component`)."""
    preference = settings.provider_preference
    capability = _Memo[frozenset[Capability], ScoreComponent](
        lambda c: capability_component(c, profile)
    )
    coder = _Memo[frozenset[Capability], ScoreComponent](
        lambda c: capability_component(c, profile, made_for_code=True)
    )
    context = _Memo[int | None, ScoreComponent](
        lambda length: context_component(length, profile.min_context)
    )
    provider = _Memo[str, ScoreComponent](lambda name: preference_component(name, preference))
    availability = _availability_of(observations)
    # Coders lose points only on tasks without code, and only models that claim code
    # can be coders: the name is read for those alone.
    check = CODE not in profile.required | profile.preferred
    claims_code = _Memo[frozenset[Capability], bool](lambda c: CODE in c)
    return [
        (
            coder[capabilities]
            if check and claims_code[capabilities] and is_code_model(model.name)
            else capability[capabilities],
            context[length],
            provider[name],
            _FREE if free else _PAID,
            availability(model),
        )
        for model, (capabilities, length, name, free) in zip(
            models, map(_FACTS, models), strict=True
        )
    ]
