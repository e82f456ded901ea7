"""`Ranking`: reads as the list of scored models it stands for, and builds a model's
`ScoredModel` only when that model is read (a plan reads five of thousands)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from neoclone_core import (
    ModelInfo,
    Neoclone,
    Ranking,
    Score,
    ScoreComponent,
    ScoredModel,
    Settings,
    build_plugins,
    hookimpl,
)
from neoclone_core.default_plugins import default_policies
from neoclone_core.score.ranking import ComponentTable, ScoreColumns

MODELS = [
    ModelInfo("p", name, free=True, context_length=length)
    for name, length in [("small", 4096), ("big", 131072), ("mid", 32768), ("paid", None)]
]


@pytest.fixture
def neoclone(tmp_path: Path) -> Iterator[Neoclone]:
    plugins = build_plugins(entry_points=False, extra=default_policies())
    made = Neoclone(Settings(home=tmp_path), plugins=plugins, env={})
    yield made
    made._store.close()


def test_a_ranking_reads_as_the_list_of_its_scored_models(neoclone: Neoclone) -> None:
    ranked = neoclone.rank(neoclone.analyse("hi"), MODELS)
    as_list = list(ranked)

    assert isinstance(ranked, Ranking) and len(ranked) == len(MODELS)
    assert [s.model for s in as_list] == ranked.models
    assert ranked[0] is as_list[0] and ranked[-1] is as_list[-1]  # built once
    assert ranked[1:3] == as_list[1:3]
    assert list(reversed(ranked)) == as_list[::-1]
    totals = [s.score.total for s in as_list]
    assert totals == sorted(totals, reverse=True)
    assert ranked.score_of(as_list[2].model) == as_list[2].score
    assert ranked.score_of(ModelInfo("q", "unranked")) is None
    with pytest.raises(IndexError):
        ranked[len(MODELS)]


def test_planning_and_recommending_build_only_the_scores_they_show(
    neoclone: Neoclone, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []

    class Counted(ScoredModel):
        def __init__(self, model: ModelInfo, score: Score) -> None:
            super().__init__(model, score)
            built.append(model.id)

    monkeypatch.setattr("neoclone_core.score.ranking.ScoredModel", Counted)
    catalog = [ModelInfo(f"p{i % 7}", f"m{i}", free=True) for i in range(500)]
    profile = neoclone.analyse("Write a haiku about the sea")

    ranked = neoclone.rank(profile, catalog)
    plan = neoclone.plan(profile, 5, ranked=ranked)

    assert len(plan.models) == 5 and built == []  # selection reads models, not scores
    assert isinstance(ranked, Ranking)
    scores = [ranked.score_of(m) for m in plan.models]
    assert all(scores) and len(built) == 5


def test_score_columns_read_as_rows_and_build_a_component_only_when_it_is_read() -> None:
    built: list[int] = []

    def build(index: int) -> ScoreComponent:
        built.append(index)
        return ScoreComponent("grade", float(index), 2.0, f"grade {index}")

    grades = ComponentTable([0.0, 1.0, 2.0], build)
    flag = (ScoreComponent("flag", 0.5, 1.0, "on"),)
    columns = ScoreColumns([(grades, [2, 0, 2, 1]), (flag, [0, 0, 0, 0])], 4)

    assert columns.totals() == [2.5, 0.5, 2.5, 1.5] and built == []
    assert columns[-1] == (ScoreComponent("grade", 1.0, 2.0, "grade 1"), flag[0])
    assert [len(row) for row in columns] == [2, 2, 2, 2] and sorted(built) == [0, 1, 2]
    assert columns[0][0] is columns[2][0]  # one component per table entry, built once
    with pytest.raises(IndexError):
        columns[4]


class _SometimesScores:
    """A plugin giving a component to some models only: its rows differ in length."""

    @hookimpl
    def neoclone_score(self, models: Sequence[ModelInfo]) -> list[tuple[ScoreComponent, ...]]:
        return [
            (ScoreComponent("bonus", 50.0, 50.0, "big"),) if m.name == "small" else ()
            for m in models
        ]


def test_rows_of_different_lengths_are_summed_per_model(tmp_path: Path) -> None:
    plugins = build_plugins(
        entry_points=False, extra=[*default_policies(), ("s", _SometimesScores())]
    )
    neoclone = Neoclone(Settings(home=tmp_path), plugins=plugins, env={})
    try:
        ranked = neoclone.rank(neoclone.analyse("hi"), MODELS)
    finally:
        neoclone._store.close()
    assert ranked[0].model.name == "small"
    assert [s.score.total for s in ranked] == [
        sum(c.points for c in s.score.components) for s in ranked
    ]
    assert ranked[0].score.components[0].name == "bonus"  # the last registered first


def test_a_catalog_ranked_again_in_another_order_gets_the_same_points(neoclone: Neoclone) -> None:
    profile = neoclone.analyse("Write a Python function that parses ISO 8601 dates")
    catalog = [
        ModelInfo(f"p{i % 7}", f"m{i}", free=True, context_length=4096 * (i % 5)) for i in range(60)
    ]

    def points(models: list[ModelInfo]) -> dict[str, list[float]]:
        ranked = neoclone.rank(profile, models)
        return {s.model.id: [c.points for c in s.score.components] for s in ranked}

    assert points(catalog) == points(catalog[::-1]) == points(catalog)
