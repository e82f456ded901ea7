"""Recommendations end to end: over the recorded OpenRouter and GitHub Models catalogs, through
`Neoclone.recommend`, and through `neoclone recommend`."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

from neoclone_core import (
    Capability,
    ModelInfo,
    Neoclone,
    ProviderContext,
    ScoreComponent,
    Settings,
    hookimpl,
)
from neoclone_core import cli as cli_module
from neoclone_core.default_plugins.selection import can_serve
from neoclone_core.discover.knowledge import lookup
from neoclone_core.testing.helpers import run_neoclone
from tests.support import FakeProvider, ManualClock, make_neoclone

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
_CODE_MODEL = re.compile(r"coder|codestral|devstral", re.IGNORECASE)

CODE_REQUEST = "Write a Python function that parses ISO 8601 dates, with unit tests."
VISION_REQUEST = "What is in this photo? Describe it in two sentences."
HUGE_REQUEST = "Here is a 500k-token log dump; find the first error and explain it."


# -- the recorded catalogs, as a provider plugin would read them -----------------------------


def openrouter_models() -> list[ModelInfo]:
    """The OpenRouter recording (2025-05) as catalog entries: image input means vision,
    the `tools` and `reasoning` parameters mean those capabilities, coder names mean
    code, and ":free" means free."""
    document = json.loads((FIXTURES / "openrouter-models-2025-05.json").read_text())
    return [_openrouter_model(entry) for entry in document["data"]]


def _openrouter_model(entry: dict[str, Any]) -> ModelInfo:
    capabilities = {Capability.TEXT}
    if "image" in entry["architecture"]["input_modalities"]:
        capabilities.add(Capability.VISION)
    parameters = set(entry.get("supported_parameters") or ())
    capabilities |= {Capability(p) for p in ("tools", "reasoning") if p in parameters}
    if _CODE_MODEL.search(entry["id"]):
        capabilities.add(Capability.CODE)
    return ModelInfo(
        "openrouter",
        entry["id"],
        display_name=entry["name"],
        context_length=entry["context_length"],
        capabilities=capabilities,
        free=entry["id"].endswith(":free"),
    )


def github_models() -> list[ModelInfo]:
    """The GitHub Models recording: free to call, context lengths not published."""
    document = json.loads((FIXTURES / "github-models-catalog-2025-05.json").read_text())
    return [
        ModelInfo(
            "github",
            entry["id"],
            capabilities={Capability.TEXT}
            | ({Capability.VISION} if "image" in entry["supported_input_modalities"] else set())
            | ({Capability.CODE} if _CODE_MODEL.search(entry["id"]) else set()),
            free=True,
        )
        for entry in document
        if "text" in entry["supported_output_modalities"]
    ]


@attrs.define
class RecordedProvider(FakeProvider):
    """A provider whose discovery returns a recorded catalog."""

    recorded: Sequence[ModelInfo] = ()

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        await super().discover(ctx)
        return list(self.recorded)


def recorded_neoclone(settings: Settings, clock: ManualClock) -> Neoclone:
    return make_neoclone(
        settings,
        clock,
        RecordedProvider("openrouter", recorded=openrouter_models()),
        RecordedProvider("github", recorded=github_models()),
    )


# -- over the recorded catalogs -----------------------------------------------------------------


async def test_a_code_request_puts_the_best_coders_first_and_cites_their_figures(
    settings: Settings, clock: ManualClock
) -> None:
    async with recorded_neoclone(settings, clock) as neoclone:
        await neoclone.initialize()
        recommendations = await neoclone.recommend(CODE_REQUEST, max_results=5)
        servable = [m for m in neoclone.models() if can_serve(m, recommendations[0].profile)]
    coding = [
        lookup(r.model.id, r.model.display_name).figure("coding").score for r in recommendations
    ]
    best = max(lookup(m.id, m.display_name).figure("coding").score for m in servable)
    assert coding[0] >= best - 60  # among the strongest coders the catalog can offer
    assert "code: " in recommendations[0].score.components[0].reason
    assert "snapshot 20" in recommendations[0].score.components[0].reason


async def test_base_and_role_play_models_are_never_recommended_for_a_question(
    settings: Settings, clock: ManualClock
) -> None:
    async with recorded_neoclone(settings, clock) as neoclone:
        await neoclone.initialize()
        recommendations = await neoclone.recommend("What is the capital of Australia?", 10)
    assert len(recommendations) == 10
    for r in recommendations:
        assert lookup(r.model.id, r.model.display_name).suited_for_general_chat


async def test_a_vision_request_recommends_only_vision_models(
    settings: Settings, clock: ManualClock
) -> None:
    async with recorded_neoclone(settings, clock) as neoclone:
        await neoclone.initialize()
        recommendations = await neoclone.recommend(VISION_REQUEST, max_results=10)
    assert len(recommendations) == 10
    assert all(r.model.supports(Capability.VISION) for r in recommendations)


async def test_a_500k_token_request_recommends_only_models_whose_context_holds_it(
    settings: Settings, clock: ManualClock
) -> None:
    async with recorded_neoclone(settings, clock) as neoclone:
        await neoclone.initialize()
        recommendations = await neoclone.recommend(HUGE_REQUEST)
    assert recommendations
    for r in recommendations:
        assert r.model.context_length is not None and r.model.context_length >= 500_000
    assert r.profile.min_context >= 500_000


async def test_backups_come_from_the_other_provider(settings: Settings, clock: ManualClock) -> None:
    async with recorded_neoclone(settings, clock) as neoclone:
        await neoclone.initialize()
        recommendations = await neoclone.recommend("Tell me a joke", max_results=4)
    providers = [r.model.provider for r in recommendations]
    assert providers[:2] in (["openrouter", "github"], ["github", "openrouter"])


async def test_every_recommendation_carries_its_score_and_the_task_profile(
    settings: Settings, clock: ManualClock
) -> None:
    async with recorded_neoclone(settings, clock) as neoclone:
        await neoclone.initialize()
        recommendations = await neoclone.get_model_recommendations(VISION_REQUEST, 3)
    assert [r.rank for r in recommendations] == [1, 2, 3]
    totals = [r.score.total for r in recommendations]
    assert all(0 < t <= 100 for t in totals)
    assert all(r.profile.required == {Capability.VISION} for r in recommendations)


class CountingScorer:
    """A scoring plugin that counts how often, and over how many models, it is called."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    @hookimpl
    def neoclone_score(self, models: Sequence[ModelInfo]) -> list[list[ScoreComponent]]:
        self.calls.append(len(models))
        return [[] for _ in models]


async def test_recommend_scores_the_whole_catalog_once(
    settings: Settings, clock: ManualClock
) -> None:
    counter = CountingScorer()
    neoclone = recorded_neoclone(settings, clock)
    neoclone.plugins.register(counter, "counter")
    async with neoclone:
        await neoclone.initialize()
        await neoclone.recommend("hello")
        catalog = len(neoclone.models())
    assert counter.calls == [catalog]


# -- the command --------------------------------------------------------------------------------


@pytest.fixture
def cli(settings: Settings, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """`neoclone` in process, over the recorded catalogs."""
    monkeypatch.setattr(cli_module.State, "open", lambda _: recorded_neoclone(settings, clock))
    return CliRunner()


def test_recommend_prints_the_task_profile_above_a_table_of_scores(cli: CliRunner) -> None:
    result = cli.invoke(cli_module.main, ["recommend", VISION_REQUEST, "-n", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Task needs: vision")
    assert "vision (required): refers to an image it supplies ('this photo')" in result.output
    assert re.search(r"total\s*.*cap\s*.*ctx\s*.*pref\s*.*free\s*.*avail", result.output)
    assert "cap = capability" in result.output
    assert "models can serve the task" in result.output


def test_recommend_json_holds_the_profile_and_every_component(cli: CliRunner) -> None:
    result = cli.invoke(cli_module.main, ["recommend", CODE_REQUEST, "-n", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["profile"]["required"] == ["code"]
    assert len(report["recommendations"]) == 2
    first = report["recommendations"][0]
    assert first["rank"] == 1 and first["max"] == 100
    assert first["total"] == pytest.approx(sum(c["points"] for c in first["components"]), 0.01)
    assert {"name", "points", "weight", "reason"} <= set(first["components"][0])


def test_recommend_explain_gives_every_components_reason(cli: CliRunner) -> None:
    result = cli.invoke(cli_module.main, ["recommend", "Tell me a joke", "-n", "1", "--explain"])
    assert result.exit_code == 0, result.output
    assert re.search(r"availability\s+2\.5/5\s+not called yet \(neutral\)", result.output)


def test_recommend_reads_the_task_from_stdin_with_a_dash(cli: CliRunner) -> None:
    result = cli.invoke(cli_module.main, ["recommend", "-", "--json"], input=HUGE_REQUEST)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["profile"]["min_context"] >= 500_000


def test_recommend_refuses_zero_results(cli: CliRunner) -> None:
    result = cli.invoke(cli_module.main, ["recommend", "hi", "-n", "0"])
    assert result.exit_code == 2


def test_recommend_offline_on_a_first_run_prints_valid_json(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "NEOCLONE_HOME": str(tmp_path / "home"),
        "NEOCLONE_CONFIG": "",
        "NO_COLOR": "1",
    }
    result = run_neoclone(
        "recommend", "Write a haiku", "--offline", "--json", env=environment, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["profile"]["categories"] == ["creative_writing"]
    assert all(r["model"]["free"] for r in report["recommendations"])
