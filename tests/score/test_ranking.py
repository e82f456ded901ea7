"""`Ranking`: reads as the list of scored models it stands for, and builds a model's
`ScoredModel` only when that model is read (a plan reads five of thousands)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from neoclone_core import (
    ModelInfo,
    Neoclone,
    Ranking,
    Score,
    ScoredModel,
    Settings,
    build_plugins,
)
from neoclone_core.default_plugins import default_policies

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
