"""The default scoring policy: the seed's weights, every point explained, observations
neutral until they exist, and several plugins' scores summed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from neoclone_core import (
    Capability,
    ModelInfo,
    Neoclone,
    Observations,
    ScoreComponent,
    Settings,
    TaskProfile,
    build_plugins,
    hookimpl,
)
from neoclone_core._store import ModelStats
from neoclone_core.default_plugins import scoring
from neoclone_core.default_plugins.scoring import (
    availability_component,
    capability_component,
    context_component,
    preference_component,
)

CHAT = TaskProfile(text="hi", min_context=1_026)
CODE = TaskProfile(text="...", required={Capability.CODE}, preferred={Capability.REASONING})


def score(
    models: Sequence[ModelInfo],
    profile: TaskProfile = CHAT,
    observations: Observations | None = None,
    preference: tuple[str, ...] = (),
) -> list[tuple[ScoreComponent, ...]]:
    settings = Settings(home=Path("unused"), provider_preference=preference)
    return scoring.neoclone_score(profile, models, observations or Observations(), settings)


def stats(model_id: str, ok: int, failed: int, p50: float | None) -> ModelStats:
    return ModelStats(model_id, ok, failed, {}, p50, p50, None)


def test_the_five_components_weigh_the_seeds_45_15_25_10_5() -> None:
    (parts,) = score([ModelInfo("p", "m")])
    assert [(c.name, c.weight) for c in parts] == [
        ("capability", 45),
        ("context", 15),
        ("preference", 25),
        ("free", 10),
        ("availability", 5),
    ]


def test_every_component_says_why_it_earned_its_points() -> None:
    (parts,) = score([ModelInfo("p", "m", context_length=8_192)], CODE)
    assert all(c.reason for c in parts)
    assert min(c.points for c in parts) >= 0 and all(c.points <= c.weight for c in parts)


def test_a_required_capability_counts_twice_as_much_as_a_preferred_one() -> None:
    coder = capability_component(frozenset({Capability.CODE}), CODE)
    thinker = capability_component(frozenset({Capability.REASONING}), CODE)
    assert (coder.points, thinker.points) == (30.0, 15.0)
    assert coder.reason == "has code; lacks preferred reasoning"
    assert thinker.reason == "has reasoning; lacks required code"


def test_a_task_needing_no_capability_gives_every_model_full_capability_points() -> None:
    assert capability_component(frozenset(), CHAT).points == 45


def test_a_coder_keeps_four_fifths_of_the_capability_points_on_a_task_without_code() -> None:
    code = frozenset({Capability.TEXT, Capability.CODE})
    on_chat = capability_component(code, CHAT, made_for_code=True)
    assert on_chat.points == pytest.approx(36.0)
    assert (
        on_chat.reason
        == "no special capability needed; made for code, which the task does not need"
    )
    on_code = capability_component(code, CODE, made_for_code=True)
    assert on_code == capability_component(code, CODE)  # code wanted: nothing taken


def test_coders_are_told_apart_by_name_not_by_a_code_tag() -> None:
    code = {Capability.TEXT, Capability.CODE}
    coder = ModelInfo("openrouter", "qwen/qwen-2.5-coder-32b-instruct:free", capabilities=code)
    tagged = ModelInfo("github", "deepseek/DeepSeek-V3-0324", capabilities=code)  # "coding" tag
    general = ModelInfo("groq", "llama-3.3-70b-versatile")
    named_code_but_no_claim = ModelInfo("p", "codestral-mamba")  # no CODE capability

    parts = score([coder, tagged, general, named_code_but_no_claim], CHAT)

    assert [p[0].points for p in parts] == [pytest.approx(36.0), 45.0, 45.0, 45.0]
    assert [p[0].points for p in score([coder], CODE)] == [30.0]  # has code, lacks reasoning


@pytest.mark.parametrize(
    ("length", "needed", "points"),
    [
        (4_096, 8_000, 0.0),  # cannot hold the task
        (16_384, 1_000, 7.5),  # holds it, but less than the 32k counted as ample
        (32_768, 1_000, 15.0),
        (200_000, 131_000, 200_000 / 262_000 * 15),  # ample is twice the need
        (None, 1_000, 7.5),  # unknown: half
    ],
)
def test_context_points_grow_with_room_to_spare(
    length: int | None, needed: int, points: float
) -> None:
    assert context_component(length, needed).points == pytest.approx(points)


def test_provider_preference_is_linear_in_rank_and_neutral_without_an_order() -> None:
    order = ("groq", "openrouter", "github", "gemini")
    assert [preference_component(p, order).points for p in order] == [25, 18.75, 12.5, 6.25]
    assert preference_component("together", order).points == 0
    assert preference_component("together", ()).points == 12.5


def test_free_models_earn_the_free_bonus() -> None:
    free, paid = score([ModelInfo("p", "a", free=True), ModelInfo("p", "b")])
    assert (free[3].points, paid[3].points) == (10, 0)


def test_availability_is_neutral_before_any_call() -> None:
    scores = score([ModelInfo("a", "m"), ModelInfo("b", "m")])
    assert {parts[4].points for parts in scores} == {2.5}
    assert scores[0][4].reason == "not called yet (neutral)"


@pytest.mark.parametrize("benched", ["p/m", "provider:p"])
def test_a_benched_model_or_provider_earns_no_availability(benched: str) -> None:
    observations = Observations(cooldown_until={benched: 2_000.0}, now=1_000.0)
    component = availability_component(ModelInfo("p", "m"), observations)
    assert component.points == 0 and component.reason == "benched right now"


def test_an_expired_bench_no_longer_counts() -> None:
    observations = Observations(cooldown_until={"p/m": 500.0}, now=1_000.0)
    assert availability_component(ModelInfo("p", "m"), observations).points == 2.5


def test_reliable_fast_models_earn_more_availability_than_flaky_slow_ones() -> None:
    observations = Observations(
        stats={"p/good": stats("p/good", 20, 0, 0.8), "p/bad": stats("p/bad", 2, 8, 12.0)}
    )
    good = availability_component(ModelInfo("p", "good"), observations)
    bad = availability_component(ModelInfo("p", "bad"), observations)
    assert good.points > 2.5 > bad.points
    assert good.reason == "20 ok / 0 failed, median 0.8 s"


def test_one_success_proves_little() -> None:
    observations = Observations(stats={"p/m": stats("p/m", 1, 0, None)})
    assert 2.5 < availability_component(ModelInfo("p", "m"), observations).points < 3.5


class TieBreaker:
    """A second scoring plugin: two points for models whose name starts with 'b'."""

    @hookimpl
    def neoclone_score(self, models: Sequence[ModelInfo]) -> list[list[ScoreComponent]]:
        return [
            [ScoreComponent("b-first", 2.0 if m.name.startswith("b") else 0.0, 2.0, "")]
            for m in models
        ]


def test_scores_from_several_plugins_are_summed(tmp_path: Path) -> None:
    extra = [("default-scoring", scoring), ("tie-breaker", TieBreaker())]
    neoclone = Neoclone(
        Settings(home=tmp_path), plugins=build_plugins(entry_points=False, extra=extra), env={}
    )
    models = [ModelInfo("p", "a", free=True), ModelInfo("p", "b", free=True)]
    try:
        ranked = neoclone.rank(CHAT, models)
    finally:
        neoclone.store.close()
    assert [s.model.name for s in ranked] == ["b", "a"]
    assert "b-first" in {c.name for c in ranked[0].score.components}
    assert ranked[0].score.total == ranked[1].score.total + 2


def test_models_with_equal_scores_are_ranked_by_id(tmp_path: Path) -> None:
    extra = [("default-scoring", scoring)]
    neoclone = Neoclone(
        Settings(home=tmp_path), plugins=build_plugins(entry_points=False, extra=extra), env={}
    )
    models = [ModelInfo("p", n, free=True) for n in ("c", "a", "b")]
    models.append(ModelInfo("p", "z", free=True, capabilities={"code"}))
    try:
        ranked = neoclone.rank(CODE, models)
    finally:
        neoclone.store.close()
    assert [s.model.name for s in ranked] == ["z", "a", "b", "c"]
