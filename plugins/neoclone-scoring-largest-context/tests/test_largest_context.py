"""The plugin's behaviour on its own, next to the default policy, and as installed."""

from __future__ import annotations

import itertools

import anyio
import importlib_metadata
import pytest
from neoclone_scoring_largest_context import (
    NAME,
    WEIGHT,
    largest_context_component,
    neoclone_score,
)

from neoclone_core import (
    ModelInfo,
    Neoclone,
    ScoredModel,
    Settings,
    TaskProfile,
    build_plugins,
)

LONG = TaskProfile(text="...", categories=("long_context",), min_context=131_024)
SHORT = TaskProfile(text="hi", categories=("chat",), min_context=1_026)


def test_it_abstains_on_ordinary_requests(catalog: list[ModelInfo]) -> None:
    assert neoclone_score(SHORT, catalog) is None


def test_a_task_needing_a_large_context_counts_as_long_even_unlabelled(
    catalog: list[ModelInfo],
) -> None:
    profile = TaskProfile(text="...", min_context=40_000)
    assert neoclone_score(profile, catalog) is not None


def test_it_gives_one_component_per_model_in_order(catalog: list[ModelInfo]) -> None:
    scores = neoclone_score(LONG, catalog)
    assert scores is not None and len(scores) == len(catalog)
    assert all(len(parts) == 1 and parts[0].name == NAME for parts in scores)


@pytest.mark.parametrize(
    ("length", "points"),
    [(4_096, 0.0), (8_192, 0.0), (131_072, 5.7143), (1_048_576, WEIGHT), (2_000_000, WEIGHT)],
)
def test_points_grow_on_a_log_scale_between_8k_and_1m(length: int, points: float) -> None:
    assert largest_context_component(length).points == pytest.approx(points, abs=1e-3)


def test_each_doubling_of_the_window_is_worth_the_same() -> None:
    steps = [largest_context_component(2**k).points for k in range(14, 21)]
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(steps)}
    assert len(gaps) == 1


def test_an_unknown_context_earns_nothing_and_says_why() -> None:
    component = largest_context_component(None)
    assert component.points == 0 and component.reason == "context length unknown"


def ranked(
    settings: Settings, profile: TaskProfile, models: list[ModelInfo], *plugins: object
) -> list[ScoredModel]:
    """The models ranked by a Neoclone holding exactly these plugins."""
    extra = [(f"plugin-{i}", plugin) for i, plugin in enumerate(plugins)]
    neoclone = Neoclone(settings, plugins=build_plugins(entry_points=False, extra=extra), env={})
    try:
        return neoclone.rank(profile, models)
    finally:
        anyio.run(neoclone.aclose)


def test_next_to_the_default_policy_the_largest_window_wins_a_long_task(
    settings: Settings, catalog: list[ModelInfo]
) -> None:
    import neoclone_scoring_largest_context

    from neoclone_core.default_plugins import scoring

    default_only = ranked(settings, LONG, catalog, scoring)
    both = ranked(settings, LONG, catalog, scoring, neoclone_scoring_largest_context)
    assert default_only[0].score.total == default_only[1].score.total  # 262k and 1M tie
    assert both[0].model.name == "huge:free"
    assert sum(c.weight for c in both[0].score.components) == 110


def test_the_distribution_registers_its_entry_point() -> None:
    names = {ep.name for ep in importlib_metadata.entry_points(group="neoclone")}
    assert "largest-context" in names
