"""The default selection: only models that can serve (free, chat models, holding the task,
with every hard need), the best first, backups spread over providers, and a plan that says
what it left out."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neoclone_core import Capability, ModelInfo, Score, ScoredModel, TaskProfile
from neoclone_core.default_plugins.selection import can_serve, diversified, neoclone_select

CHAT = TaskProfile(text="hi", min_context=1_026)


def model(
    provider: str,
    name: str,
    *,
    free: bool = True,
    context: int | None = 32_768,
    capabilities: Iterable[str] = ("text",),
) -> ModelInfo:
    return ModelInfo(provider, name, free=free, context_length=context, capabilities=capabilities)


def ranked(*models: ModelInfo) -> list[ScoredModel]:
    """The models as if scored best first, in the order given."""
    return [ScoredModel(m, Score(m.id)) for m in models]


def plan_ids(profile: TaskProfile, *models: ModelInfo, max_models: int = 5) -> list[str]:
    return [m.id for m in neoclone_select(profile, ranked(*models), max_models).models]


def test_paid_models_are_never_planned() -> None:
    assert plan_ids(CHAT, model("p", "paid", free=False), model("p", "free")) == ["p/free"]


def test_a_model_lacking_a_required_capability_is_dropped() -> None:
    profile = TaskProfile(text="...", required={Capability.VISION})
    seeing = model("p", "seeing", capabilities={"text", "vision"})
    assert plan_ids(profile, model("p", "blind"), seeing) == ["p/seeing"]


def test_a_model_whose_context_is_too_small_is_dropped() -> None:
    profile = TaskProfile(text="...", min_context=501_024)
    assert plan_ids(
        profile, model("p", "small", context=131_072), model("p", "big", context=1 << 20)
    ) == ["p/big"]


def test_an_unknown_context_is_trusted_for_ordinary_tasks_but_not_long_ones() -> None:
    unknown = model("p", "unknown", context=None)
    assert can_serve(unknown, CHAT)
    assert not can_serve(unknown, TaskProfile(text="...", min_context=50_000))


def test_the_primary_is_the_best_model_and_backups_take_each_provider_in_turn() -> None:
    a1, a2, a3, b1, c1 = (
        model("a", "1"),
        model("a", "2"),
        model("a", "3"),
        model("b", "1"),
        model("c", "1"),
    )
    assert plan_ids(CHAT, a1, a2, a3, b1, c1) == ["a/1", "b/1", "c/1", "a/2", "a/3"]


def test_the_plan_holds_at_most_max_models() -> None:
    models = [model("p", str(i)) for i in range(10)]
    assert len(plan_ids(CHAT, *models, max_models=3)) == 3


def test_the_plan_says_what_it_left_out_and_how_backups_are_spread() -> None:
    plan = neoclone_select(
        TaskProfile(text="...", required={Capability.VISION}),
        ranked(
            model("a", "paid", free=False),
            model("a", "blind"),
            model("a", "v", capabilities={"vision"}),
            model("b", "v", capabilities={"vision"}),
        ),
        5,
    )
    assert plan.reasons == (
        "2 of 4 models can serve the task (1 paid, 1 lack vision)",
        "backups spread over 2 providers",
    )


def test_a_plan_from_a_single_provider_warns_about_its_outage() -> None:
    plan = neoclone_select(CHAT, ranked(model("a", "1"), model("a", "2")), 5)
    assert plan.reasons == ("every model is from a: its outage would stop the whole plan",)


def test_code_and_reasoning_tags_never_drop_a_model() -> None:
    profile = TaskProfile(text="...", required={Capability.CODE, Capability.REASONING})
    coder = model("b", "coder", capabilities={"text", "code"})
    assert plan_ids(profile, model("a", "general"), coder) == ["a/general", "b/coder"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("deepseek/deepseek-v3-base:free", "not for chat"),
        ("whisper-large-v3", "not for chat"),
        ("arliai/qwq-32b-arliai-rpr-v1:free", "made for role-play"),
    ],
)
def test_models_that_answer_no_question_are_never_planned(name: str, reason: str) -> None:
    plan = neoclone_select(CHAT, ranked(model("a", name), model("b", "llama-3.3-70b-instruct")), 5)
    assert [m.id for m in plan.models] == ["b/llama-3.3-70b-instruct"]
    assert plan.reasons[0] == f"1 of 2 models can serve the task (1 {reason})"


def test_a_role_play_model_may_write_a_story() -> None:
    story = TaskProfile(text="...", categories=("creative_writing",))
    role_play = model("a", "arliai/qwq-32b-arliai-rpr-v1:free")
    assert plan_ids(story, role_play) == ["a/arliai/qwq-32b-arliai-rpr-v1:free"]
    assert not can_serve(role_play, CHAT)


def test_vision_is_never_relaxed() -> None:
    profile = TaskProfile(text="...", required={Capability.VISION, Capability.CODE})
    assert (
        plan_ids(profile, model("a", "general"), model("b", "coder", capabilities={"code"})) == []
    )
    seeing = model("c", "seeing", capabilities={"vision"})
    assert plan_ids(profile, model("a", "general"), seeing) == ["c/seeing"]


# -- properties ---------------------------------------------------------------------------------

models_strategy = st.lists(
    st.builds(
        model,
        st.sampled_from(["a", "b", "c", "d"]),
        st.text(alphabet="xyz0123", min_size=1, max_size=6),
        free=st.booleans(),
        context=st.one_of(st.none(), st.sampled_from([4_096, 32_768, 200_000, 1 << 20])),
        capabilities=st.sets(st.sampled_from(["text", "code", "vision", "tools", "reasoning"])),
    ),
    max_size=30,
    unique_by=lambda m: m.id,
)
profiles = st.builds(
    TaskProfile,
    text=st.just("..."),
    required=st.sets(st.sampled_from(list(Capability))),
    min_context=st.sampled_from([1_000, 20_000, 300_000]),
)


@given(models_strategy, profiles, st.integers(min_value=1, max_value=8))
def test_every_plan_is_a_short_list_of_distinct_models_that_can_serve(
    models: list[ModelInfo], profile: TaskProfile, max_models: int
) -> None:
    plan = neoclone_select(profile, ranked(*models), max_models)
    servers = [m for m in models if can_serve(m, profile)]
    assert len(plan.models) <= max_models
    assert len({m.id for m in plan.models}) == len(plan.models)
    if servers:
        assert all(can_serve(m, profile) for m in plan.models)
        assert plan.models[0] == servers[0]
        providers = [m.provider for m in plan.models]
        distinct = len({m.provider for m in servers})
        assert len(set(providers[:distinct])) == min(distinct, len(providers))


def _round_robin(models: list[ModelInfo], limit: int) -> list[ModelInfo]:
    """The spreading rule written plainly: every provider's queue, round after round."""
    queues: dict[str, list[ModelInfo]] = {}
    for m in models:
        queues.setdefault(m.provider, []).append(m)
    rounds = [q[depth] for depth in range(len(models)) for q in queues.values() if len(q) > depth]
    return rounds[:limit]


@given(models_strategy, st.integers(min_value=0, max_value=8))
def test_spreading_stops_reading_once_the_first_round_fills_the_plan(
    models: list[ModelInfo], limit: int
) -> None:
    assert diversified(models, limit) == _round_robin(models, limit)
