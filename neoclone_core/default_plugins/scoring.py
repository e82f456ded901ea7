"""The default scoring policy: capability 45, context 15, provider preference 25,
free bonus 10, availability 5 (100 in all), every component explained."""

from __future__ import annotations

from collections.abc import Sequence

from neoclone_core._config import Settings
from neoclone_core._models import Capability, ModelInfo, ScoreComponent, TaskProfile
from neoclone_core._observations import Observations
from neoclone_core.hookspecs import hookimpl

CAPABILITY, CONTEXT, PREFERENCE, FREE, AVAILABILITY = 45.0, 15.0, 25.0, 10.0, 5.0
_AMPLE_CONTEXT = 128_000


def capability_component(model: ModelInfo, profile: TaskProfile) -> ScoreComponent:
    """Required capabilities count twice as much as preferred ones."""
    required = profile.required - {Capability.TEXT}
    preferred = profile.preferred - required - {Capability.TEXT}
    if not required and not preferred:
        return ScoreComponent("capability", CAPABILITY, CAPABILITY, "plain text task")
    have = model.capabilities
    earned = 2 * len(required & have) + len(preferred & have)
    possible = 2 * len(required) + len(preferred)
    missing = sorted(c.value for c in (required | preferred) - have)
    reason = f"lacks {', '.join(missing)}" if missing else "has every capability wanted"
    return ScoreComponent("capability", CAPABILITY * earned / possible, CAPABILITY, reason)


def context_component(model: ModelInfo, profile: TaskProfile) -> ScoreComponent:
    """Full points for a context that holds twice the need (or 128k); none if too small."""
    length = model.context_length
    if length is None:
        return ScoreComponent("context", CONTEXT / 2, CONTEXT, "context length unknown")
    if length < profile.min_context:
        return ScoreComponent(
            "context", 0.0, CONTEXT, f"{length:,} tokens < {profile.min_context:,} needed"
        )
    ample = max(2 * profile.min_context, _AMPLE_CONTEXT)
    return ScoreComponent(
        "context", CONTEXT * min(1.0, length / ample), CONTEXT, f"{length:,} tokens"
    )


def preference_component(model: ModelInfo, preference: Sequence[str]) -> ScoreComponent:
    """Linear in the provider's rank in the configured order; neutral without one."""
    if not preference:
        return ScoreComponent("preference", PREFERENCE / 2, PREFERENCE, "no preference set")
    if model.provider not in preference:
        return ScoreComponent("preference", 0.0, PREFERENCE, "provider not in preference list")
    rank = preference.index(model.provider)
    points = PREFERENCE * (len(preference) - rank) / len(preference)
    return ScoreComponent("preference", points, PREFERENCE, f"preferred provider #{rank + 1}")


def free_component(model: ModelInfo) -> ScoreComponent:
    """All or nothing."""
    if model.free:
        return ScoreComponent("free", FREE, FREE, "free")
    return ScoreComponent("free", 0.0, FREE, "paid")


def availability_component(model: ModelInfo, observations: Observations) -> ScoreComponent:
    """Observed success rate with a neutral prior (half points before any call)."""
    if observations.cooling_down(model.id):
        return ScoreComponent("availability", 0.0, AVAILABILITY, "cooling down")
    stats = observations.of(model.id)
    if stats is None:
        return ScoreComponent("availability", AVAILABILITY / 2, AVAILABILITY, "not observed yet")
    rate = (stats.successes + 1) / (stats.successes + stats.failures + 2)
    reason = f"{stats.successes} ok / {stats.failures} failed"
    return ScoreComponent("availability", AVAILABILITY * rate, AVAILABILITY, reason)


@hookimpl
def neoclone_score(
    profile: TaskProfile,
    models: Sequence[ModelInfo],
    observations: Observations,
    settings: Settings,
) -> list[tuple[ScoreComponent, ...]]:
    """The five components for every model."""
    preference = settings.provider_preference
    return [
        (
            capability_component(model, profile),
            context_component(model, profile),
            preference_component(model, preference),
            free_component(model),
            availability_component(model, observations),
        )
        for model in models
    ]
