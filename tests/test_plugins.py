"""The plugin contract: registration checks, isolation of failing plugins, blocking."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from structlog.testing import capture_logs

from neoclone_core import ModelInfo, ScoreComponent, TaskProfile, build_plugins, hookimpl
from neoclone_core.errors import PluginError
from tests.support import FakeProvider, ProvidersPlugin


class RaisingScorer:
    @hookimpl
    def neoclone_score(self, models: Sequence[ModelInfo]) -> list[tuple[ScoreComponent, ...]]:
        raise RuntimeError("scorer bug")


class ConstantScorer:
    @hookimpl
    def neoclone_score(self, models: Sequence[ModelInfo]) -> list[tuple[ScoreComponent, ...]]:
        return [(ScoreComponent("constant", 1.0, 1.0),) for _ in models]


def test_a_raising_hook_implementation_is_skipped_and_logged_with_its_plugin_name() -> None:
    plugins = build_plugins(
        entry_points=False, extra=[("good", ConstantScorer()), ("bad", RaisingScorer())]
    )
    kwargs = {
        "profile": TaskProfile("x"),
        "models": [ModelInfo("p", "m")],
        "observations": None,
        "settings": None,
    }
    with capture_logs() as logs:
        results = plugins.calls("neoclone_score", kwargs)
    assert [name for name, _ in results] == ["good"]
    failure = next(e for e in logs if e["event"] == "neoclone.plugin_failed")
    assert failure["plugin"] == "bad"
    assert "scorer bug" in failure["error"]


def test_implementations_receive_only_the_arguments_they_name() -> None:
    seen = []

    class Analyser:
        @hookimpl
        def neoclone_analyse_task(self, text: str) -> TaskProfile:
            seen.append(text)
            return TaskProfile(text=text.upper())

    plugins = build_plugins(entry_points=False, extra=[("a", Analyser())])
    profile = plugins.first_result("neoclone_analyse_task", {"text": "hi"})
    assert profile == TaskProfile(text="HI")
    assert seen == ["hi"]


def test_first_result_skips_a_raising_plugin_and_uses_the_next() -> None:
    class Broken:
        @hookimpl(tryfirst=True)
        def neoclone_analyse_task(self, text: str) -> TaskProfile:
            raise ValueError("broken analyser")

    class Working:
        @hookimpl
        def neoclone_analyse_task(self, text: str) -> TaskProfile:
            return TaskProfile(text="working")

    plugins = build_plugins(entry_points=False, extra=[("w", Working()), ("b", Broken())])
    assert plugins.first_result("neoclone_analyse_task", {"text": "x"}).text == "working"


def test_registering_a_non_provider_is_refused_naming_the_plugin_and_others_still_register() -> (
    None
):
    plugins = build_plugins(
        entry_points=False,
        extra=[
            ("wrong", ProvidersPlugin(object())),
            ("right", ProvidersPlugin(FakeProvider("fake"))),
        ],
    )
    with capture_logs() as logs:
        providers = plugins.providers()
    assert list(providers) == ["fake"]
    failure = next(e for e in logs if e["event"] == "neoclone.plugin_failed")
    assert failure["plugin"] == "wrong"
    assert "PluginError" in failure["error"]
    assert "missing: name" in failure["error"]


def test_provider_names_with_a_slash_are_refused() -> None:
    from neoclone_core.plugins import _check_provider

    with pytest.raises(PluginError, match="invalid name"):
        _check_provider(FakeProvider("a/b"), "p")


def test_the_first_registration_of_a_provider_name_wins() -> None:
    first, second = FakeProvider("dup", models=("a",)), FakeProvider("dup", models=("b",))
    plugins = build_plugins(
        entry_points=False,
        extra=[("one", ProvidersPlugin(first)), ("two", ProvidersPlugin(second))],
    )
    # pluggy calls the last registered plugin first
    assert plugins.providers()["dup"] is second


def test_a_blocked_plugin_name_is_never_registered() -> None:
    plugins = build_plugins(
        disabled=["good"], entry_points=False, extra=[("good", ConstantScorer())]
    )
    assert plugins.calls("neoclone_score", {"models": []}) == []
    assert "good" not in plugins.infos


def test_entry_points_load_the_default_policies_and_respect_blocking() -> None:
    everything = build_plugins()
    assert {"default-analyser", "default-scoring", "default-selection", "default-fallback"} <= set(
        everything.infos
    )
    blocked = build_plugins(disabled=["default-scoring"])
    assert "default-scoring" not in blocked.infos
    assert (
        blocked.calls(
            "neoclone_score",
            {"profile": None, "models": [], "observations": None, "settings": None},
        )
        == []
    )


def test_event_hooks_reach_every_plugin_even_when_one_raises() -> None:
    received = []

    class Listener:
        def __init__(self, name: str, fail: bool) -> None:
            self.name, self.fail = name, fail

        @hookimpl
        def neoclone_request_finished(self, route: object) -> None:
            received.append(self.name)
            if self.fail:
                raise RuntimeError("listener bug")

    plugins = build_plugins(
        entry_points=False, extra=[("a", Listener("a", True)), ("b", Listener("b", False))]
    )
    plugins.emit("neoclone_request_finished", route=None)
    assert sorted(received) == ["a", "b"]


def test_every_installed_provider_says_what_its_free_tier_costs_with_a_dated_source() -> None:
    """Terms in words for every provider: its access, its limits or terms, and the page
    that says so with the day it was read."""
    from neoclone_core.testing.helpers import declared_free_tier

    providers = build_plugins().providers()
    assert len(providers) >= 20  # the bundled provider plugins, installed by requirements-dev
    for name, provider in providers.items():
        declared_free_tier(provider, name)
