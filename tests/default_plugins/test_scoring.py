"""The default scoring policy: the seed's weights, capability graded by the model's quality
for the need and spent by difficulty, every point explained with its figures, observations
neutral until they exist, and several plugins' scores summed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest

from neoclone_core import (
    Capability,
    ModelInfo,
    Neoclone,
    Observations,
    RateLimit,
    ScoreComponent,
    Settings,
    TaskProfile,
    build_plugins,
    hookimpl,
)
from neoclone_core.default_plugins import _capability as grading
from neoclone_core.default_plugins import scoring
from neoclone_core.default_plugins.scoring import (
    availability_component,
    context_component,
    preference_component,
)
from neoclone_core.state.store import ModelStats

CHAT = TaskProfile(text="hi", min_context=1_026)
CODE = TaskProfile(text="...", required={Capability.CODE}, preferred={Capability.REASONING})


def score(
    models: Sequence[ModelInfo],
    profile: TaskProfile = CHAT,
    observations: Observations | None = None,
    preference: tuple[str, ...] = (),
) -> Sequence[tuple[ScoreComponent, ...]]:
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
    (parts,) = score([ModelInfo("p", "m", context_length=8_192, free=True)], CODE)
    assert all(c.reason for c in parts)
    assert min(c.points for c in parts) >= 0 and all(c.points <= c.weight for c in parts)


# -- capability: graded by quality for the need, spent by difficulty --------------------------

HARD_MATHS = TaskProfile(
    text="...", required={Capability.REASONING}, categories=("reasoning",), difficulty=0.9
)
EASY_CHAT = TaskProfile(text="What is the capital of Australia?", difficulty=0.1)


def free(provider: str, name: str, per_day: int | None = 1_000, **kwargs: object) -> ModelInfo:
    return ModelInfo(
        provider,
        name,
        free=True,
        context_length=131_072,
        rate_limit=RateLimit(requests_per_day=per_day),
        **kwargs,  # type: ignore[arg-type]
    )


PRO = free("openrouter", "google/gemini-2.5-pro-exp-03-25", 50)  # text 1464, math 1459
FLASH = free("gemini", "gemini-2.5-flash", 250, capabilities={"text", "vision"})  # text 1415
KIMI = free("groq", "moonshotai/kimi-k2-instruct-0905", 1_000)  # text 1380
LLAMA = free("groq", "llama-3.3-70b-versatile", 1_000)  # text 1276, math 1271


def capability(models: Sequence[ModelInfo], profile: TaskProfile) -> list[ScoreComponent]:
    return [parts[0] for parts in score(models, profile)]


def test_a_hard_request_grades_each_model_by_its_gap_to_the_best_that_can_serve() -> None:
    pro, flash, llama = capability([PRO, FLASH, LLAMA], HARD_MATHS)
    assert pro.points == pytest.approx(45 - 45 * 0.02 * 0.25 * grading.scarcity(50))
    # 43 maths points below the best: 43/150 of the 45 lost, and a token quota cost.
    assert flash.points == pytest.approx(45 * (1 - 43 / 150), abs=0.1)
    assert llama.points == pytest.approx(0.0, abs=0.1)  # 188 below: more than 150
    assert pro.points > flash.points > llama.points


def test_the_figure_graded_follows_the_need() -> None:
    code = TaskProfile(text="...", required={Capability.CODE}, categories=("code",))
    image = TaskProfile(text="...", required={Capability.VISION}, categories=("vision",))
    story = TaskProfile(text="...", categories=("creative_writing",))
    reasons = [capability([FLASH], p)[0].reason for p in (code, HARD_MATHS, image, story, CHAT)]
    assert [r.split(":")[0] for r in reasons] == [
        "code",
        "reasoning and maths",
        "vision",
        "creative writing",
        "general quality",
    ]
    assert "LMArena coding" in reasons[0] and "LMArena vision" in reasons[2]


def test_every_figure_used_is_cited_with_its_source_and_date() -> None:
    (llama,) = capability([LLAMA], EASY_CHAT)
    assert llama.reason.startswith("general quality: LMArena text 1276, snapshot 2025-12-11")
    assert "best free 1276 (groq/llama-3.3-70b-versatile)" in llama.reason


def test_a_prior_says_it_is_one_and_counts_less_than_its_estimate() -> None:
    unplaced = free("openrouter", "meta-llama/llama-3.3-8b-instruct:free")
    (prior,) = capability([unplaced], EASY_CHAT)
    assert prior.reason.startswith("general quality: prior: 8B instruct model, no leaderboard")
    assert "counted" in prior.reason


def test_an_easy_request_gets_an_adequate_model_with_quota_to_spare() -> None:
    pro, kimi = score([PRO, KIMI], EASY_CHAT)
    assert sum(c.points for c in kimi) > sum(c.points for c in pro)
    assert "50 requests/day" in pro[0].reason and "kept for harder requests" in pro[0].reason


def test_a_hard_request_gets_the_strongest_model_even_with_little_quota() -> None:
    hard = attrs.evolve(EASY_CHAT, difficulty=0.9)
    pro, kimi = score([PRO, KIMI], hard)
    assert sum(c.points for c in pro) > sum(c.points for c in kimi)


def test_between_models_of_equal_quality_a_hard_request_prefers_the_one_with_quota_left() -> None:
    scarce, plenty = capability(
        [free("a", "qwen/qwen3-32b", 50), free("b", "qwen3-32b")], HARD_MATHS
    )
    assert plenty.points > scarce.points


def test_a_model_that_cannot_serve_earns_no_capability_points() -> None:
    base = free("openrouter", "deepseek/deepseek-v3-base:free")
    blind = free("groq", "llama-3.3-70b-versatile")
    role_play = free("openrouter", "arliai/qwq-32b-arliai-rpr-v1:free")
    image = TaskProfile(text="...", required={Capability.VISION})
    assert capability([base], CHAT)[0].reason == "cannot serve: not for chat"
    assert capability([blind], image)[0].reason == "cannot serve: lack vision"
    assert capability([role_play], CHAT)[0].points == 0
    story = TaskProfile(text="...", categories=("creative_writing",))
    assert capability([role_play], story)[0].points > 0  # role-play is fine for a story


def test_without_a_difficulty_the_stand_in_estimate_decides_and_says_so() -> None:
    (flash,) = capability([FLASH], CHAT)
    assert "(estimated)" in flash.reason
    assert grading.estimated_difficulty(CHAT) < grading.EASY
    proof = TaskProfile(
        text="Prove that there are infinitely many primes.", categories=("reasoning",)
    )
    assert grading.estimated_difficulty(proof) >= grading.HARD
    assert "(from the analysis)" in capability([FLASH], EASY_CHAT)[0].reason


def test_quality_share_is_the_150_point_rule_with_a_tenth_above_the_target() -> None:
    assert grading.quality_share(1464, 1464, 1464) == 1.0
    assert grading.quality_share(1314, 1464, 1464) == 0.0
    assert grading.quality_share(1389, 1464, 1464) == pytest.approx(0.5)
    assert grading.quality_share(1314, 1464, 1314) == pytest.approx(0.9)  # at target, 150 below
    assert grading.quality_share(1164, 1464, 1314) == pytest.approx(0.0)


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
def test_a_model_or_provider_cooling_down_earns_no_availability(benched: str) -> None:
    observations = Observations(cooldown_until={benched: 2_000.0}, now=1_000.0)
    component = availability_component(ModelInfo("p", "m"), observations)
    assert component.points == 0 and component.reason == "cooling down right now"


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
        neoclone._store.close()
    assert [s.model.name for s in ranked] == ["b", "a"]
    assert "b-first" in {c.name for c in ranked[0].score.components}
    assert ranked[0].score.total == ranked[1].score.total + 2


def test_models_with_equal_scores_are_ranked_by_id(tmp_path: Path) -> None:
    extra = [("default-scoring", scoring)]
    neoclone = Neoclone(
        Settings(home=tmp_path), plugins=build_plugins(entry_points=False, extra=extra), env={}
    )
    models = [free("p", n) for n in ("c", "a", "b")]  # three unknown models: equal priors
    models.append(free("p", "z-llama-3.3-70b-instruct"))
    try:
        ranked = neoclone.rank(CHAT, [*models, LLAMA])
    finally:
        neoclone._store.close()
    assert [s.model.name for s in ranked][-3:] == ["a", "b", "c"]
