"""One test per hook, named after it: each hook, implemented by an inline plugin, changes
what neoclone does (the docs meta-test checks every hook has a test here)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest
import structlog

from neoclone_core import (
    Attempt,
    FallbackAction,
    FallbackDecision,
    ModelInfo,
    Neoclone,
    Plan,
    Plugins,
    Route,
    ScoreComponent,
    ScoredModel,
    Settings,
    TaskProfile,
    build_plugins,
    hookimpl,
)
from neoclone_core.errors import (
    NoModelAvailableError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    StoreError,
)
from neoclone_core.state.store import Store
from tests.support import FakeProvider, ManualClock, NewNeoclone, ProvidersPlugin, make_neoclone

pytestmark = pytest.mark.anyio


class Recorder:
    """Records every event hook call."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    @hookimpl
    def neoclone_model_discovered(self, model: ModelInfo) -> None:
        self.events.append(("discovered", model.id))

    @hookimpl
    def neoclone_scan_failed(
        self, provider: str, error: Exception, next_retry_at: float | None
    ) -> None:
        self.events.append(("scan_failed", (provider, str(error), next_retry_at)))

    @hookimpl
    def neoclone_attempt_started(self, model: ModelInfo, attempt_number: int) -> None:
        self.events.append(("started", (model.id, attempt_number)))

    @hookimpl
    def neoclone_attempt_failed(
        self, model: ModelInfo, error: ProviderError, attempt: Attempt
    ) -> None:
        self.events.append(("failed", (model.id, error.kind, attempt.ok)))

    @hookimpl
    def neoclone_fallback_taken(
        self, from_model: ModelInfo, to_model: ModelInfo, error: ProviderError
    ) -> None:
        self.events.append(("fallback", (from_model.id, to_model.id)))

    @hookimpl
    def neoclone_request_finished(self, route: Route) -> None:
        self.events.append(("finished", route.served_by))


def with_plugin(settings: Settings, clock: ManualClock, plugin: object, *providers: object):  # type: ignore[no-untyped-def]
    neoclone = make_neoclone(settings, clock, *providers)
    neoclone.plugins.register(plugin, "under-test")
    return neoclone


async def test_neoclone_register_providers_makes_the_provider_scannable(
    new_neoclone: NewNeoclone,
) -> None:
    async with new_neoclone(FakeProvider("registered")) as neoclone:
        assert list(neoclone._catalog.providers) == ["registered"]
        await neoclone.discover()
        assert [m.provider for m in neoclone.models()] == ["registered", "registered"]


async def test_neoclone_analyse_task_from_a_plugin_overrides_the_default(
    settings: Settings, clock: ManualClock
) -> None:
    class Analyser:
        @hookimpl(tryfirst=True)
        def neoclone_analyse_task(self, text: str) -> TaskProfile:
            return TaskProfile(text=text, categories=("custom",), min_context=123)

    async with with_plugin(settings, clock, Analyser()) as neoclone:
        profile = neoclone.analyse("Generate Python code")
    assert profile.categories == ("custom",)
    assert profile.min_context == 123


async def test_neoclone_score_components_from_a_plugin_add_to_the_total(
    settings: Settings, clock: ManualClock
) -> None:
    class PreferM1:
        @hookimpl
        def neoclone_score(self, models: Sequence[ModelInfo]) -> list[tuple[ScoreComponent, ...]]:
            return [
                (ScoreComponent("likes-m1", 50.0 if m.name == "m1" else 0.0, 50.0, "test"),)
                for m in models
            ]

    async with with_plugin(settings, clock, PreferM1(), FakeProvider("p")) as neoclone:
        await neoclone.initialize()
        ranked = neoclone.rank(neoclone.analyse("hi"))
    assert ranked[0].model.id == "p/m1"
    assert "likes-m1" in [c.name for c in ranked[0].score.components]


async def test_neoclone_select_from_a_plugin_decides_the_plan(
    settings: Settings, clock: ManualClock
) -> None:
    class LastFirst:
        @hookimpl(tryfirst=True)
        def neoclone_select(self, ranked: Sequence[ScoredModel], max_models: int) -> Plan:
            return Plan(models=[s.model for s in reversed(ranked)][:max_models])

    async with with_plugin(
        settings, clock, LastFirst(), FakeProvider("p", models=("a", "b", "c"))
    ) as neoclone:
        await neoclone.initialize()
        plan = neoclone.plan(neoclone.analyse("hi"), max_models=2)
        ranked = neoclone.rank(neoclone.analyse("hi"))
    assert [m.id for m in plan.models] == [ranked[-1].model.id, ranked[-2].model.id]


async def test_neoclone_fallback_decision_from_a_plugin_can_stop_the_plan(
    settings: Settings, clock: ManualClock
) -> None:
    class NeverFallBack:
        @hookimpl(tryfirst=True)
        def neoclone_fallback_decision(self, error: ProviderError) -> FallbackDecision:
            return FallbackDecision(FallbackAction.FAIL, reason="test")

    down, spare = (
        FakeProvider("down", chat_error=ProviderUnavailableError("503")),
        FakeProvider("spare"),
    )
    async with with_plugin(settings, clock, NeverFallBack(), down, spare) as neoclone:
        await neoclone.initialize()
        with pytest.raises(ProviderUnavailableError):
            await neoclone.chat("hi", models=["down/m1", "spare/m1"])
    assert spare.chat_calls == 0


async def test_neoclone_model_discovered_is_called_for_each_scanned_model(
    settings: Settings, clock: ManualClock
) -> None:
    recorder = Recorder()
    async with with_plugin(settings, clock, recorder, FakeProvider("p")) as neoclone:
        await neoclone.discover()
        await neoclone.discover()  # fresh: no second scan, no second event
    assert recorder.events == [("discovered", "p/m1"), ("discovered", "p/m2:free")]


async def test_neoclone_scan_failed_says_when_the_next_try_is(
    settings: Settings, clock: ManualClock
) -> None:
    recorder = Recorder()
    failing = FakeProvider("p", fail_with=ProviderUnavailableError("down"))
    async with with_plugin(settings, clock, recorder, failing) as neoclone:
        await neoclone.discover()
    assert recorder.events == [("scan_failed", ("p", "down", clock.now + 60))]


async def test_neoclone_attempt_started_and_neoclone_attempt_failed_follow_each_call(
    settings: Settings, clock: ManualClock
) -> None:
    recorder = Recorder()
    down, up = FakeProvider("down", chat_error=ProviderUnavailableError("503")), FakeProvider("up")
    async with with_plugin(settings, clock, recorder, down, up) as neoclone:
        await neoclone.initialize()
        recorder.events.clear()
        await neoclone.chat("hi", models=["down/m1", "up/m1"])
    assert recorder.events == [
        ("started", ("down/m1", 1)),
        ("failed", ("down/m1", "unavailable", False)),
        ("fallback", ("down/m1", "up/m1")),
        ("started", ("up/m1", 2)),
        ("finished", "up/m1"),
    ]


async def test_neoclone_request_finished_when_unserved_and_no_neoclone_fallback_taken_after_last(
    settings: Settings, clock: ManualClock
) -> None:
    """An unserved request is reported; no fallback is announced after the last model."""
    recorder = Recorder()
    down = FakeProvider("down", chat_error=ProviderUnavailableError("503"))
    async with with_plugin(settings, clock, recorder, down) as neoclone:
        await neoclone.initialize()
        with pytest.raises(NoModelAvailableError):
            await neoclone.chat("hi", models=["down/m1"])
    assert recorder.events[-1] == ("finished", None)
    assert [name for name, _ in recorder.events if name == "fallback"] == []


class HealthEvents:
    """Records the breaker, cooldown and health events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    @hookimpl
    def neoclone_breaker_opened(self, key: str, until: float, reason: str) -> None:
        self.events.append(("opened", (key, until, reason)))

    @hookimpl
    def neoclone_breaker_closed(self, key: str) -> None:
        self.events.append(("closed", key))

    @hookimpl
    def neoclone_cooldown_started(self, key: str, until: float, reason: str) -> None:
        self.events.append(("cooldown", (key, until, reason)))

    @hookimpl
    def neoclone_health_checked(
        self, model: ModelInfo, ok: bool, error: ProviderError | None
    ) -> None:
        self.events.append(("health", (model.id, ok, error.kind if error else None)))


async def test_neoclone_fallback_decision_sees_the_models_still_callable(
    settings: Settings, clock: ManualClock
) -> None:
    seen: list[tuple[str, int, list[str]]] = []

    class Watcher:
        @hookimpl(tryfirst=True)
        def neoclone_fallback_decision(
            self, model: ModelInfo, attempt_number: int, remaining: Sequence[ModelInfo]
        ) -> None:
            seen.append((model.id, attempt_number, [m.id for m in remaining]))

    down = FakeProvider("down", chat_error=ProviderUnavailableError("503"))
    async with with_plugin(settings, clock, Watcher(), down, FakeProvider("up")) as neoclone:
        await neoclone.initialize()
        await neoclone.chat("hi", models=["down/m1", "down/m2:free", "up/m1"])
    assert seen == [("down/m1", 1, ["down/m2:free", "up/m1"]), ("down/m2:free", 1, ["up/m1"])]


@pytest.mark.parametrize(
    ("plan", "requests", "expected"),
    [
        # One model failing opens its own breaker, not its provider's (issue 16, defect 2):
        # the sixth request never reaches it.
        (["down/m1", "up/m1"], 6, [("down/m1", "5 failures in a row, last unavailable")]),
        # Two of the provider's models failing open the provider's.
        (
            ["down/m1", "down/m2:free", "up/m1"],
            3,
            [("provider:down", "5 failures in a row across 2 models, last unavailable")],
        ),
    ],
    ids=["one-model", "two-models"],
)
async def test_neoclone_breaker_opened_after_five_failures_in_a_row(
    settings: Settings,
    clock: ManualClock,
    plan: list[str],
    requests: int,
    expected: list[tuple[str, str]],
) -> None:
    events = HealthEvents()
    down = FakeProvider("down", chat_error=ProviderUnavailableError("503"))
    async with with_plugin(settings, clock, events, down, FakeProvider("up")) as neoclone:
        await neoclone.initialize()
        for _ in range(requests):
            await neoclone.chat("hi", models=plan)
    opened = [payload for name, payload in events.events if name == "opened"]
    assert [(key, reason) for key, _, reason in opened] == expected
    assert all(until == clock.now + 30 for _, until, _ in opened)
    assert down.chat_calls == 5


async def test_neoclone_breaker_closed_when_the_half_open_probe_succeeds(
    settings: Settings, clock: ManualClock
) -> None:
    events = HealthEvents()
    flaky = FakeProvider("flaky", chat_error=ProviderUnavailableError("503"))
    async with with_plugin(settings, clock, events, flaky, FakeProvider("up")) as neoclone:
        await neoclone.initialize()
        for _ in range(5):
            await neoclone.chat("hi", models=["flaky/m1", "up/m1"])
        clock.advance(30)
        flaky.chat_error = None
        _, route = await neoclone.chat("hi", models=["flaky/m1", "up/m1"])
    assert route.served_by == "flaky/m1"
    assert [p for n, p in events.events if n == "closed"] == ["flaky/m1"]


async def test_neoclone_cooldown_started_when_a_model_is_rate_limited(
    settings: Settings, clock: ManualClock
) -> None:
    events = HealthEvents()
    limited = FakeProvider("limited", chat_error=RateLimitedError("429", retry_after=12))
    async with with_plugin(settings, clock, events, limited, FakeProvider("up")) as neoclone:
        await neoclone.initialize()
        await neoclone.chat("hi", models=["limited/m1", "up/m1"])
    assert events.events == [("cooldown", ("limited/m1", clock.now + 12, "rate limited for 12s"))]


async def test_neoclone_health_checked_reports_each_probe(
    settings: Settings, clock: ManualClock
) -> None:
    events = HealthEvents()
    down = FakeProvider("down", chat_error=ProviderUnavailableError("503"))
    async with with_plugin(settings, clock, events, down, FakeProvider("up")) as neoclone:
        await neoclone.initialize()
        await neoclone.check_health(["down/m1", "up/m1"])
    assert sorted(p for n, p in events.events if n == "health") == [  # type: ignore[type-var]
        ("down/m1", False, "unavailable"),
        ("up/m1", True, None),
    ]


class MemoryStores:
    """A store plugin for `memory://` URLs: an embedded store per URL, in a directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.opened: dict[str, Store] = {}

    @hookimpl
    def neoclone_open_state(self, url: str) -> Store | None:
        if not url.startswith("memory://"):
            return None
        if url == "memory://unreachable":
            raise StoreError("cannot reach the memory store")
        store = Store(self.directory / f"{url.removeprefix('memory://')}.sqlite3")
        self.opened[url] = store
        return store


def neoclone_with_store(
    settings: Settings, clock: ManualClock, stores: MemoryStores, url: str, *providers: object
) -> Neoclone:
    from neoclone_core.default_plugins import default_policies

    plugins = build_plugins(
        entry_points=False,
        extra=[
            *default_policies(),
            ("test-providers", ProvidersPlugin(*providers)),
            ("memory-store", stores),
        ],
    )
    shared = attrs.evolve(settings, store=url)
    return Neoclone(
        shared, plugins=plugins, clock=clock, env={}, monotonic=clock, sleep=clock.sleep
    )


async def test_neoclone_open_state_from_a_plugin_keeps_the_engines_state(
    settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    stores = MemoryStores(tmp_path)
    limited = FakeProvider("limited", chat_error=RateLimitedError("429", retry_after=12))
    async with neoclone_with_store(
        settings, clock, stores, "memory://shared", limited, FakeProvider("up")
    ) as neoclone:
        assert neoclone._state is stores.opened["memory://shared"]
        await neoclone.initialize()
        await neoclone.chat("hi", models=["limited/m1", "up/m1"])
        assert set(stores.opened["memory://shared"].cooldowns(clock.now)) == {"limited/m1"}


async def test_neoclone_open_state_raising_store_error_stops_neoclone_at_start(
    settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    with pytest.raises(StoreError, match="cannot reach the memory store"):
        neoclone_with_store(settings, clock, MemoryStores(tmp_path), "memory://unreachable")


# -- the command line -----------------------------------------------------------------------


@pytest.fixture
def command_line(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The `neoclone` group as a fresh process has it, whose plugins are `plugins` (a list
    the test fills), restored afterwards."""
    import neoclone_core.plugins
    from neoclone_core.cli.main import main

    plugins: list[tuple[str, object]] = []

    def build(**_: object) -> Plugins:
        return build_plugins(entry_points=False, extra=plugins)

    monkeypatch.setattr(neoclone_core.plugins, "build_plugins", build)
    core = {
        name: command
        for name, command in main.commands.items()
        if command.callback is not None and command.callback.__module__.startswith("neoclone_core")
    }
    monkeypatch.setattr(main, "commands", core)
    monkeypatch.setattr(main, "_plugins_loaded", False, raising=False)
    yield main, plugins
    structlog.reset_defaults()  # the command configured logging for the whole process


def test_neoclone_register_commands_adds_a_command_with_the_core_exit_codes(
    command_line,  # type: ignore[no-untyped-def]
) -> None:
    import click
    from click.testing import CliRunner

    main, plugins = command_line

    @click.command()
    @click.argument("name")
    def greet(name: str) -> None:
        """Say hello."""
        click.echo(f"hello {name}")

    class Commands:
        @hookimpl
        def neoclone_register_commands(self, cli: click.Group) -> None:
            cli.add_command(greet)

    plugins.append(("greeter", Commands()))
    runner = CliRunner()

    assert runner.invoke(main, ["greet", "ada"]).output == "hello ada\n"
    assert "Exit codes: 0 done" in runner.invoke(main, ["greet", "--help"]).output
    assert "greet" in runner.invoke(main, ["--help"]).output


def test_neoclone_register_commands_missing_serve_names_the_package_to_install(
    command_line,  # type: ignore[no-untyped-def]
) -> None:
    from click.testing import CliRunner

    main, _ = command_line

    result = CliRunner().invoke(main, ["serve"])

    assert result.exit_code == 2
    assert "pip install neoclone-gateway" in result.output
