"""Discovery and the scan cache: concurrency, isolation, TTL, backoff, snapshot fallback."""

from __future__ import annotations

import pytest

from neoclone_core import ScanStatus, Settings, Source
from neoclone_core.discover.catalog import backoff_delay
from neoclone_core.errors import ProviderUnavailableError
from tests.support import FakeProvider, ManualClock, NewNeoclone, make_neoclone

pytestmark = pytest.mark.anyio
DAY = 86400.0


async def test_discovery_awaits_every_provider_and_lists_their_models(
    new_neoclone: NewNeoclone,
) -> None:
    a, b = FakeProvider("alpha"), FakeProvider("beta", models=("x",))
    async with new_neoclone(a, b) as neoclone:
        scans = await neoclone.discover()
        assert [(s.provider, s.status, s.models) for s in scans] == [
            ("alpha", ScanStatus.SCANNED, 2),
            ("beta", ScanStatus.SCANNED, 1),
        ]
        ids = [m.id for m in neoclone.models()]
    assert ids == ["alpha/m1", "alpha/m2:free", "beta/x"]


async def test_a_raising_or_hanging_provider_leaves_the_others_results_intact(
    settings: Settings, new_neoclone: NewNeoclone
) -> None:
    good = FakeProvider("good")
    broken = FakeProvider("broken", fail_with=ProviderUnavailableError("503 from upstream"))
    buggy = FakeProvider("buggy", fail_with=KeyError("data"))
    hanging = FakeProvider("hanging", hang=True)
    quick = Settings(home=settings.home, discovery_timeout=0.2, cache=settings.cache)
    async with new_neoclone(good, broken, buggy, hanging, settings=quick) as neoclone:
        scans = {s.provider: s for s in await neoclone.discover()}
        assert scans["good"].status is ScanStatus.SCANNED
        assert scans["broken"].status is ScanStatus.FAILED
        assert "503 from upstream" in scans["broken"].message
        assert scans["buggy"].status is ScanStatus.FAILED
        assert scans["hanging"].status is ScanStatus.FAILED
        assert "no answer within 0.2s" in scans["hanging"].message
        assert {m.provider for m in neoclone.models()} == {"good"}


async def test_a_fresh_scan_is_not_repeated_until_the_ttl_expires(
    clock: ManualClock, new_neoclone: NewNeoclone
) -> None:
    provider = FakeProvider("alpha")
    async with new_neoclone(provider) as neoclone:
        await neoclone.discover()
        clock.advance(7 * DAY - 1)
        (scan,) = await neoclone.discover()
        assert scan.status is ScanStatus.FRESH
        assert provider.discover_calls == 1
        assert neoclone.cache_stats().rescans_avoided == 1
        assert neoclone.models()[0].source is Source.LIVE  # scanned by this instance
    async with new_neoclone(provider) as neoclone:
        assert neoclone.models()[0].source is Source.CACHE  # another run reads the store
        clock.advance(2)
        assert neoclone.cache_stats().stale == ("alpha",)
        assert neoclone.cache_stats().should_rescan
        (scan,) = await neoclone.discover()
        assert scan.status is ScanStatus.SCANNED
        assert provider.discover_calls == 2


async def test_refresh_rescans_a_fresh_provider(new_neoclone: NewNeoclone) -> None:
    provider = FakeProvider("alpha")
    async with new_neoclone(provider) as neoclone:
        await neoclone.discover()
        await neoclone.refresh_models()
    assert provider.discover_calls == 2


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    assert [backoff_delay(n, 60, 3600) for n in range(1, 9)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


async def test_a_failing_provider_is_not_retried_before_its_backoff_ends(
    clock: ManualClock, new_neoclone: NewNeoclone
) -> None:
    provider = FakeProvider("flaky", fail_with=ProviderUnavailableError("down"))
    async with new_neoclone(provider) as neoclone:
        schedule = []
        for _ in range(4):
            (scan,) = await neoclone.discover()
            assert scan.status is ScanStatus.FAILED
            state = neoclone._store.scan_state("flaky")
            assert state is not None and state.next_retry_at is not None
            schedule.append(state.next_retry_at - clock.now)
            clock.advance(schedule[-1] - 1)
            (scan,) = await neoclone.discover()
            assert scan.status is ScanStatus.BACKING_OFF
            assert neoclone.cache_stats().backing_off == ("flaky",)
            clock.advance(1)
        assert schedule == [60, 120, 240, 480]
        assert provider.discover_calls == 4
        provider.fail_with = None
        (scan,) = await neoclone.discover()
        assert scan.status is ScanStatus.SCANNED
        state = neoclone._store.scan_state("flaky")
        assert state is not None and state.failures == 0 and state.next_retry_at is None


async def test_a_failed_rescan_keeps_the_previous_models(
    clock: ManualClock, new_neoclone: NewNeoclone
) -> None:
    provider = FakeProvider("alpha")
    async with new_neoclone(provider) as neoclone:
        await neoclone.discover()
        provider.fail_with = ProviderUnavailableError("down")
        clock.advance(8 * DAY)
        (scan,) = await neoclone.discover()
        assert scan.status is ScanStatus.FAILED
        assert [m.id for m in neoclone.models()] == ["alpha/m1", "alpha/m2:free"]


async def test_a_provider_without_its_key_is_skipped_with_the_variable_to_set(
    settings: Settings, clock: ManualClock, new_neoclone: NewNeoclone
) -> None:
    class KeyedProvider(FakeProvider):
        async def discover(self, ctx):  # type: ignore[no-untyped-def]
            ctx.require_api_key()
            return await super().discover(ctx)

    provider = KeyedProvider("keyed", api_key_env="KEYED_API_KEY")
    async with new_neoclone(provider) as neoclone:
        (scan,) = await neoclone.discover()
        assert scan.status is ScanStatus.SKIPPED
        assert scan.message == "keyed: no API key (set KEYED_API_KEY)"
        # skipping is not a failure: no backoff is recorded
        assert neoclone._store.scan_state("keyed") is None
    async with make_neoclone(
        settings, clock, provider, env={"KEYED_API_KEY": "sk-test-000000000000"}
    ) as neoclone:
        (scan,) = await neoclone.discover()
        assert scan.status is ScanStatus.SCANNED
    assert provider.seen_keys == ["sk-test-000000000000"]


async def test_a_provider_disabled_in_config_is_neither_scanned_nor_listed(
    settings: Settings, new_neoclone: NewNeoclone
) -> None:
    from neoclone_core import ProviderSettings

    provider = FakeProvider("off")
    off = Settings(home=settings.home, providers={"off": ProviderSettings(enabled=False)})
    async with new_neoclone(provider, settings=off) as neoclone:
        (scan,) = await neoclone.discover()
        assert scan.status is ScanStatus.DISABLED
        assert neoclone.models() == []
    assert provider.discover_calls == 0


async def test_providers_whose_free_tier_trains_on_prompts_can_be_excluded(
    settings: Settings, new_neoclone: NewNeoclone
) -> None:
    import attrs

    from neoclone_core import Access, FreeTier

    @attrs.define
    class WithTier(FakeProvider):
        free_tier: FreeTier | None = None

    training = FreeTier(
        Access.FREE_MODELS, terms=("prompts used for training",), trains_on_prompts=True
    )
    trains = WithTier("trains", free_tier=training)
    private = WithTier("private", free_tier=FreeTier(Access.FREE_MODELS))
    silent = WithTier("silent")  # declares nothing: kept
    strict = attrs.evolve(settings, exclude_training_on_prompts=True)
    async with new_neoclone(trains, private, silent, settings=strict) as neoclone:
        scans = {s.provider: s for s in await neoclone.discover()}
        assert scans["trains"].status is ScanStatus.DISABLED
        assert "trains on prompts" in scans["trains"].message
        assert {m.provider for m in neoclone.models()} == {"private", "silent"}
        assert set(neoclone.free_tiers()) == {"trains", "private"}
    assert trains.discover_calls == 0
    async with new_neoclone(WithTier("trains", free_tier=training)) as neoclone:
        (scan,) = await neoclone.discover()  # the switch is off by default
        assert scan.status is ScanStatus.SCANNED


@pytest.mark.parametrize("access", ["TRIAL_CREDIT", "PAID"])
async def test_a_trial_credit_or_paid_provider_never_lists_a_free_model(
    new_neoclone: NewNeoclone, access: str
) -> None:
    """Whatever the plugin says: a credit once, or nothing, makes no model free."""
    import attrs

    from neoclone_core import Access, FreeTier

    @attrs.define
    class Claims(FakeProvider):
        free_tier: FreeTier | None = None

    trial = Claims("trial", free_tier=FreeTier(Access[access]))
    monthly = Claims("monthly", free_tier=FreeTier(Access.MONTHLY_CREDIT))
    async with new_neoclone(trial, monthly) as neoclone:
        await neoclone.discover()
        free = {m.id for m in neoclone.models(free_only=True)}
        listed = {m.id for m in neoclone.models()}
    assert "trial/m2:free" in listed
    assert free == {"monthly/m2:free"}  # a monthly credit leaves the plugin's rule alone


async def test_a_provider_returning_the_wrong_shape_is_a_failed_scan(
    new_neoclone: NewNeoclone,
) -> None:
    class WrongShape(FakeProvider):
        async def discover(self, ctx):  # type: ignore[no-untyped-def]
            return {"data": []}

    async with new_neoclone(WrongShape("wrong")) as neoclone:
        (scan,) = await neoclone.discover()
    assert scan.status is ScanStatus.FAILED
    assert "returned dict, not a list" in scan.message


async def test_a_never_scanned_provider_is_represented_by_the_bundled_snapshot(
    monkeypatch: pytest.MonkeyPatch, new_neoclone: NewNeoclone
) -> None:
    from neoclone_core import ModelInfo
    from neoclone_core.discover import catalog as _catalog

    snapshot = [ModelInfo("offline", "snap:free", free=True, source=Source.SNAPSHOT)]
    monkeypatch.setattr(_catalog, "snapshot_models", lambda: snapshot)
    provider = FakeProvider("offline", fail_with=ProviderUnavailableError("no network"))
    async with new_neoclone(provider) as neoclone:
        await neoclone.discover()
        (model,) = neoclone.models()
        assert model.id == "offline/snap:free"
        assert model.source is Source.SNAPSHOT
        provider.fail_with = None
        await neoclone.discover(refresh=True)
        assert {m.source for m in neoclone.models()} == {Source.LIVE}


async def test_discovery_runs_providers_concurrently(new_neoclone: NewNeoclone) -> None:
    """Each provider waits until all have started: sequential discovery would time out."""
    import anyio

    started = anyio.Event()
    count = 0

    class Rendezvous(FakeProvider):
        async def discover(self, ctx):  # type: ignore[no-untyped-def]
            nonlocal count
            count += 1
            if count == 3:
                started.set()
            await started.wait()
            return await super().discover(ctx)

    providers = [Rendezvous(f"p{i}") for i in range(3)]
    async with new_neoclone(*providers) as neoclone:
        scans = await neoclone.discover()
    assert {s.status for s in scans} == {ScanStatus.SCANNED}


async def test_provider_figures_survive_the_store(
    settings: Settings, new_neoclone: NewNeoclone
) -> None:
    """Benchmark scores and uptime read at a scan are still on the model when a later
    instance reads the scan from the store."""
    import attrs

    from neoclone_core import ModelInfo, ProviderFigures

    figures = ProviderFigures({"artificial_analysis.intelligence_index": 71.4}, 0.995, 1.2)

    @attrs.define
    class WithFigures(FakeProvider):
        async def discover(self, ctx):  # type: ignore[no-untyped-def]
            return [ModelInfo(self.name, "m", free=True, figures=figures)]

    async with new_neoclone(WithFigures("scored"), settings=settings) as neoclone:
        await neoclone.discover()
    async with new_neoclone(WithFigures("scored"), settings=settings) as later:
        (scan,) = await later.discover()
        [model] = later.models()
    assert scan.status is ScanStatus.FRESH  # read from the store, not scanned
    assert model.figures == figures
    assert model.figures.benchmark("artificial_analysis.intelligence_index") == 71.4
