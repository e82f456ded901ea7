"""The engine around the calls: what it records, what scoring sees, what strategy plugins
may ask of it, and how it behaves when its store fails. In-process providers; time is a
hand-moved clock."""

from __future__ import annotations

from typing import Any

import pytest
import structlog.testing

from neoclone_core import (
    BreakerStatus,
    EnginePolicy,
    FallbackAction,
    FallbackDecision,
    ModelInfo,
    RateLimit,
    RetryPolicy,
    Settings,
    hookimpl,
)
from neoclone_core.errors import (
    AuthenticationError,
    ModelNotFoundError,
    NoModelAvailableError,
    ProviderUnavailableError,
    RateLimitedError,
    StoreError,
)
from tests.support import FakeProvider, ManualClock, ProvidersPlugin, make_neoclone

pytestmark = pytest.mark.anyio


def with_plugins(settings: Settings, clock: ManualClock, *objects: object, **kwargs: Any):  # type: ignore[no-untyped-def]
    """A Neoclone with the default plugins, these providers and plugins, fake time."""
    from neoclone_core import Neoclone

    providers = [o for o in objects if isinstance(o, FakeProvider)]
    plugins = make_neoclone(settings, clock).plugins
    plugins.register(ProvidersPlugin(*providers), "more-providers")
    for index, plugin in enumerate(o for o in objects if not isinstance(o, FakeProvider)):
        plugins.register(plugin, f"plugin-{index}")
    kwargs.setdefault("env", {})
    return Neoclone(
        settings, plugins=plugins, clock=clock, monotonic=clock, sleep=clock.sleep, **kwargs
    )


# -- monitoring -------------------------------------------------------------------------


async def test_model_and_session_statistics_persist_in_the_store(
    settings: Settings, clock: ManualClock
) -> None:
    down = FakeProvider("down", chat_error=ProviderUnavailableError("503"))
    async with with_plugins(settings, clock, down, FakeProvider("up")) as nc:
        await nc.initialize()
        await nc.create_session("s", "down/m1", ["up/m1"])
        for _ in range(3):
            result, stats = await nc.execute_with_orchestration("s", "hi")
        await nc.chat("hi", models=["up/m2:free"])
    assert result.content == "hello"
    assert stats["served_by"] == "up/m1" and stats["fallbacks"] == 1
    async with with_plugins(settings, clock, down, FakeProvider("up")) as reopened:
        report = reopened.get_session_stats()
    assert report["models"]["down/m1"]["errors_by_kind"] == {"unavailable": 3}
    assert report["models"]["up/m1"]["successes"] == 3
    assert report["models"]["up/m1"]["latency_p50_s"] is not None
    session = report["sessions"]["s"]
    assert (session["requests"], session["successes"], session["fallbacks"]) == (3, 3, 3)
    assert session["served_by"] == {"up/m1": 3}
    assert session["errors_by_kind"] == {"unavailable": 3}
    assert report["requests"]["requests"] == 1  # the request outside any session


async def test_a_defined_session_is_listed_before_its_first_request(
    settings: Settings, clock: ManualClock
) -> None:
    async with with_plugins(settings, clock, FakeProvider("p")) as nc:
        await nc.initialize()
        await nc.create_session("empty", "p/m1")
        assert nc.stats()["sessions"]["empty"]["requests"] == 0
        assert nc.session_stats()["empty"].success_rate is None


async def test_scoring_sees_success_rates_cooldowns_and_open_breakers(
    settings: Settings, clock: ManualClock
) -> None:
    flaky = FakeProvider("flaky", chat_error=ProviderUnavailableError("503"))
    limited = FakeProvider("limited", chat_error=RateLimitedError("429", retry_after=40))
    async with with_plugins(settings, clock, flaky, limited, FakeProvider("up")) as nc:
        await nc.initialize()
        for _ in range(5):  # both of flaky's models fail: its provider's breaker opens too
            await nc.chat("hi", models=["flaky/m1", "flaky/m2:free", "limited/m1", "up/m1"])
        clock.advance(1)  # observations refresh once per state sync interval
        seen = nc._engine.observations()
        assert seen.cooling_down("flaky/m1") and seen.cooling_down("flaky/anything")
        assert seen.breaker("provider:flaky") is BreakerStatus.OPEN
        assert seen.cooling_down("limited/m1") and not seen.cooling_down("limited/m2:free")
        stats = seen.of("flaky/m1")
        assert stats is not None and stats.success_rate == 0.0
        assert seen.providers_cooling_down() == ["flaky"]  # its provider's breaker opened too
        flaky.chat_error = None
        clock.advance(30)
        _, route = await nc.chat("hi", models=["flaky/m1", "up/m1"])  # the probe
        clock.advance(1)
        recovered = nc._engine.observations()
    assert route.served_by == "flaky/m1"
    assert not recovered.cooling_down("flaky/m1")
    assert recovered.breaker("provider:flaky") is BreakerStatus.CLOSED


# -- what strategy plugins may ask ------------------------------------------------------


async def test_a_strategy_that_always_says_retry_is_held_to_the_retry_limit(
    settings: Settings, clock: ManualClock
) -> None:
    class Stubborn:
        @hookimpl(tryfirst=True)
        def neoclone_fallback_decision(self) -> FallbackDecision:
            return FallbackDecision(FallbackAction.RETRY, delay_s=2.0)

    down = FakeProvider("down", chat_error=ProviderUnavailableError("503"))
    policy = EnginePolicy(retry=RetryPolicy(max_retries=3))
    async with with_plugins(
        settings, clock, down, FakeProvider("up"), Stubborn(), policy=policy
    ) as nc:
        await nc.initialize()
        _, route = await nc.chat("hi", models=["down/m1", "up/m1"])
    assert down.chat_calls == 4
    assert clock.slept == [2.0, 2.0, 2.0]  # the strategy's delay, not the backoff
    assert route.retries == 3 and route.fallbacks == 1


async def test_a_strategy_returning_nonsense_means_next(
    settings: Settings, clock: ManualClock
) -> None:
    class Confused:
        @hookimpl(tryfirst=True)
        def neoclone_fallback_decision(self) -> str:
            return "retry please"

    down = FakeProvider("down", chat_error=ProviderUnavailableError("503"))
    async with with_plugins(settings, clock, down, FakeProvider("up"), Confused()) as nc:
        await nc.initialize()
        _, route = await nc.chat("hi", models=["down/m1", "up/m1"])
    assert route.served_by == "up/m1" and down.chat_calls == 1


async def test_a_bench_longer_than_the_policy_allows_is_capped(
    settings: Settings, clock: ManualClock
) -> None:
    class Forever:
        @hookimpl(tryfirst=True)
        def neoclone_fallback_decision(self) -> FallbackDecision:
            return FallbackDecision(FallbackAction.NEXT, cooldown_model_s=1e12, reason="forever")

    down = FakeProvider("down", chat_error=ProviderUnavailableError("503"))
    policy = EnginePolicy(max_cooldown_s=7200)
    async with with_plugins(
        settings, clock, down, FakeProvider("up"), Forever(), policy=policy
    ) as nc:
        await nc.initialize()
        await nc.chat("hi", models=["down/m1", "up/m1"])
        assert nc.stats()["cooldowns"]["down/m1"]["until"] == clock.now + 7200


async def test_a_model_that_is_gone_cools_down_for_a_day(
    settings: Settings, clock: ManualClock
) -> None:
    gone = FakeProvider("gone", chat_error=ModelNotFoundError("404"))
    async with with_plugins(settings, clock, gone, FakeProvider("up")) as nc:
        await nc.initialize()
        await nc.chat("hi", models=["gone/m1", "up/m1"])
        assert nc.stats()["cooldowns"]["gone/m1"]["until"] == clock.now + 86400


# -- credentials and the store ----------------------------------------------------------


async def test_a_refused_key_bench_is_lifted_by_setting_another_key(
    settings: Settings, clock: ManualClock
) -> None:
    keyed = FakeProvider(
        "keyed", api_key_env="KEYED_API_KEY", chat_error=AuthenticationError("401")
    )
    async with with_plugins(settings, clock, keyed, env={"KEYED_API_KEY": "old-key"}) as nc:
        await nc.initialize()
        with pytest.raises(NoModelAvailableError):
            await nc.chat("hi", models=["keyed/m1"])
    keyed.chat_error = None
    async with with_plugins(settings, clock, keyed, env={"KEYED_API_KEY": "old-key"}) as same:
        with pytest.raises(NoModelAvailableError, match="cooling down"):
            await same.chat("hi", models=["keyed/m1"])
    async with with_plugins(settings, clock, keyed, env={"KEYED_API_KEY": "new-key"}) as fixed:
        response, _ = await fixed.chat("hi", models=["keyed/m1"])
    assert response.content == "hello"
    assert keyed.chat_calls == 2
    assert "old-key" not in (settings.home / "neoclone.sqlite3").read_bytes().decode("latin-1")


class DownState:
    """A shared store that is unreachable."""

    def __getattr__(self, name: str) -> Any:
        def down(*args: object) -> Any:
            msg = f"{name}: connection refused"
            raise StoreError(msg)

        return down


async def test_requests_are_served_when_the_state_store_is_down(
    settings: Settings, clock: ManualClock
) -> None:
    down = FakeProvider("down", chat_error=ProviderUnavailableError("503"))
    policy = EnginePolicy(flush_every=1)
    async with with_plugins(
        settings, clock, down, FakeProvider("up"), state=DownState(), policy=policy
    ) as nc:
        await nc.initialize()
        with structlog.testing.capture_logs() as logs:
            for _ in range(7):
                _, route = await nc.chat("hi", models=["down/m1", "up/m1"])
    assert route.served_by == "up/m1"
    assert down.chat_calls == 5  # the breaker still works, from memory
    failed = {e["operation"] for e in logs if e["event"] == "neoclone.state_unavailable"}
    assert {"record_outcomes", "save_breaker", "sync"} <= failed


# -- health checks ----------------------------------------------------------------------


class Checked:
    def __init__(self) -> None:
        self.probes: list[tuple[str, bool]] = []

    @hookimpl
    def neoclone_health_checked(self, model: ModelInfo, ok: bool) -> None:
        self.probes.append((model.id, ok))


async def test_a_health_check_closes_the_breaker_of_a_recovered_model(
    settings: Settings, clock: ManualClock
) -> None:
    flaky = FakeProvider("flaky", chat_error=ProviderUnavailableError("503"))
    async with with_plugins(settings, clock, flaky, FakeProvider("up")) as nc:
        await nc.initialize()
        for _ in range(5):
            await nc.chat("hi", models=["flaky/m1", "up/m1"])
        early = await nc.check_health(["flaky/m1"])
        flaky.chat_error = None
        clock.advance(300)
        late = await nc.check_health(["flaky/m1"])
        _, route = await nc.chat("hi", models=["flaky/m1", "up/m1"])
    assert early[0].ok is None and early[0].detail == "a request called it 0s ago"
    assert late[0].ok is True
    assert route.served_by == "flaky/m1"  # no user request paid for finding out
    assert flaky.chat_calls == 7


async def test_health_checks_stay_within_a_fraction_of_the_free_tier(
    settings: Settings, clock: ManualClock
) -> None:
    from neoclone_core import HealthChecker

    async with with_plugins(settings, clock, FakeProvider("p")) as nc:
        checker = HealthChecker(nc._engine, interval_s=60)
        fifty_a_day = ModelInfo("p", "m1", rate_limit=RateLimit(requests_per_day=50))
        assert checker.probe_interval(fifty_a_day) == 86400 / 5  # 10% of 50 a day
        assert checker.probe_interval(ModelInfo("p", "m1")) == 60


async def test_a_model_called_lately_is_not_probed(settings: Settings, clock: ManualClock) -> None:
    provider = FakeProvider("p")
    async with with_plugins(settings, clock, provider) as nc:
        await nc.initialize()
        await nc.chat("hi", models=["p/m1"])
        reports = await nc.check_health()
    assert [(r.model_id, r.ok, r.detail) for r in reports] == [
        ("p/m1", None, "a request called it 0s ago")
    ]
    assert provider.chat_calls == 1


async def test_the_health_monitor_probes_in_the_background_until_it_stops(
    settings: Settings, clock: ManualClock
) -> None:
    checked = Checked()
    provider = FakeProvider("p")
    async with with_plugins(settings, clock, provider, checked) as nc:
        await nc.initialize()
        async with nc.health_monitor(["p/m1"], interval_s=300):
            while len(checked.probes) < 3:
                await clock.sleep(0)
        calls = provider.chat_calls
        await clock.sleep(600)
    assert checked.probes[:3] == [("p/m1", True)] * 3
    assert provider.chat_calls == calls  # stopped with the block


async def test_no_probe_reaches_a_model_cooling_down(
    settings: Settings, clock: ManualClock
) -> None:
    limited = FakeProvider("limited", chat_error=RateLimitedError("429", retry_after=900))
    async with with_plugins(settings, clock, limited, FakeProvider("up")) as nc:
        await nc.initialize()
        await nc.check_health(["limited/m1"])  # the probe says 429: cooling down for 900 s
        clock.advance(300)
        reports = await nc.check_health(["limited/m1"])
    assert reports[0].ok is None and "rate limited" in reports[0].detail
    assert limited.chat_calls == 1


async def test_a_session_can_take_the_plan_made_for_its_task(
    settings: Settings, clock: ManualClock
) -> None:
    async with with_plugins(settings, clock, FakeProvider("p"), FakeProvider("q")) as nc:
        await nc.initialize()
        session = await nc.create_session_for_task("chat", "Say hello", max_models=2)
        _, stats = await nc.execute_with_orchestration("chat", "Say hello")
        with pytest.raises(NoModelAvailableError, match="session 'none'"):
            await nc.create_session_for_task("none", "Say hello", max_models=0)
    assert len(session.model_ids) == 2
    assert stats["served_by"] == session.model_ids[0]
