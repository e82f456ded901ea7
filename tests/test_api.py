"""The documented API, under the seed's names and the cleaner ones."""

from __future__ import annotations

import pytest

from neoclone_core import (
    BlockingNeoclone,
    Capability,
    ChatRequest,
    ModelInfo,
    Settings,
    create_enhanced_model_discovery_module,
)
from neoclone_core.discover.catalog import Catalog
from neoclone_core.errors import (
    BadRequestError,
    NoModelAvailableError,
    ProviderUnavailableError,
    RateLimitedError,
    UnknownModelError,
    UnknownSessionError,
)
from tests.support import FakeProvider, ManualClock, NewNeoclone, make_neoclone

pytestmark = pytest.mark.anyio


class CodeProvider(FakeProvider):
    async def discover(self, ctx):  # type: ignore[no-untyped-def]
        await super().discover(ctx)
        return [
            ModelInfo(
                self.name,
                "coder:free",
                free=True,
                context_length=32_000,
                capabilities={"text", "code"},
            ),
            ModelInfo(self.name, "chatter:free", free=True, context_length=128_000),
            ModelInfo(
                self.name,
                "paid-coder",
                free=False,
                context_length=200_000,
                capabilities={"text", "code"},
            ),
        ]


async def test_the_seed_api_works_as_documented(
    settings: Settings, clock: ManualClock, new_neoclone: NewNeoclone
) -> None:
    primary, backup = (
        FakeProvider("down", chat_error=ProviderUnavailableError("502")),
        FakeProvider("up"),
    )
    discovery = await create_enhanced_model_discovery_module(
        settings,
        plugins=new_neoclone(primary, backup).plugins,
        clock=clock,
        env={},
    )
    async with discovery:
        await discovery.initialize()
        await discovery.refresh_models()
        recommendations = await discovery.get_model_recommendations("say hello", max_results=5)
        assert recommendations and all(r.model.free for r in recommendations)
        await discovery.create_orchestration_session(
            "s", primary_model="down/m2:free", backup_models=["up/m2:free"]
        )
        result, stats = await discovery.execute_with_orchestration("s", {"prompt": "hello"})
        assert result.content == "hello"
        assert stats["served_by"] == "up/m2:free"
        assert [a["model"] for a in stats["attempts"]] == ["down/m2:free", "up/m2:free"]
        assert stats["attempts"][0]["error_kind"] == "unavailable"
        enhanced = discovery.get_enhanced_stats()
        assert enhanced["total_models"] == 4 and enhanced["free_models"] == 2
        assert enhanced["providers"] == {"down": 2, "up": 2}
        assert enhanced["average_context_length"] == 8192
        cache = discovery.get_cache_stats()
        assert cache["total_models"] == 4 and cache["should_rescan"] is False
        session = discovery.get_session_stats()["sessions"]["s"]
        assert session["requests"] == 1 and session["fallbacks"] == 1
        assert discovery.get_session_stats()["models"]["down/m2:free"]["failures"] == 1


async def test_recommendations_put_capable_free_models_first(new_neoclone: NewNeoclone) -> None:
    async with new_neoclone(CodeProvider("p")) as neoclone:
        await neoclone.initialize()
        recommendations = await neoclone.recommend("Generate Python code for neural networks")
    assert recommendations[0].model.id == "p/coder:free"
    assert Capability.CODE in recommendations[0].profile.required
    # the general model may back it up (every chat model can write code); paid is excluded
    assert [r.model.id for r in recommendations] == ["p/coder:free", "p/chatter:free"]
    names = [c.name for c in recommendations[0].score.components]
    assert names == ["capability", "context", "preference", "free", "availability"]
    assert sum(c.weight for c in recommendations[0].score.components) == 100


async def test_an_unknown_model_is_refused_with_close_matches(new_neoclone: NewNeoclone) -> None:
    async with new_neoclone(FakeProvider("p")) as neoclone:
        await neoclone.initialize()
        with pytest.raises(UnknownModelError, match=r"unknown model 'p/m3'; did you mean p/m1"):
            await neoclone.create_session("s", primary_model="p/m3")
        with pytest.raises(UnknownSessionError, match="unknown session 'nope'"):
            await neoclone.execute("nope", "hi")


async def test_a_bad_request_goes_back_to_the_caller_without_fallback(
    new_neoclone: NewNeoclone,
) -> None:
    bad, spare = (
        FakeProvider("bad", chat_error=BadRequestError("invalid temperature")),
        FakeProvider("spare"),
    )
    async with new_neoclone(bad, spare) as neoclone:
        await neoclone.initialize()
        with pytest.raises(BadRequestError):
            await neoclone.chat("hi", models=["bad/m1", "spare/m1"])
    assert spare.chat_calls == 0


async def test_a_rate_limited_model_cools_down_for_the_wait_the_provider_gave(
    clock: ManualClock, new_neoclone: NewNeoclone
) -> None:
    limited = FakeProvider("limited", chat_error=RateLimitedError("429", retry_after=30))
    spare = FakeProvider("spare")
    async with new_neoclone(limited, spare) as neoclone:
        await neoclone.initialize()
        plan = ["limited/m1", "spare/m1"]
        await neoclone.chat("hi", models=plan)
        _, route = await neoclone.chat("hi", models=plan)
        assert route.attempts[0].skipped and "cooling down" in route.attempts[0].error
        assert limited.chat_calls == 1
        clock.advance(31)
        await neoclone.chat("hi", models=plan)
        assert limited.chat_calls == 2


async def test_when_every_model_fails_the_error_lists_each_attempt(
    new_neoclone: NewNeoclone,
) -> None:
    a = FakeProvider("a", chat_error=ProviderUnavailableError("503"))
    b = FakeProvider("b", chat_error=TimeoutError())
    async with new_neoclone(a, b) as neoclone:
        await neoclone.initialize()
        with pytest.raises(NoModelAvailableError) as caught:
            await neoclone.chat("hi", models=["a/m1", "b/m1"])
    attempts = caught.value.route.attempts
    # b, the last model left, is retried twice (the default strategy) before giving up
    assert [(a.model_id, a.error_kind, a.retry) for a in attempts] == [
        ("a/m1", "unavailable", 0),
        ("b/m1", "timeout", 0),
        ("b/m1", "timeout", 1),
        ("b/m1", "timeout", 2),
    ]
    assert "tried: a/m1 (unavailable), b/m1 (timeout, 3 attempts)" in str(caught.value)


def test_the_blocking_wrapper_runs_the_same_api_from_sync_code(
    settings: Settings, clock: ManualClock, new_neoclone: NewNeoclone
) -> None:
    plugins = new_neoclone(FakeProvider("p")).plugins
    with BlockingNeoclone(settings, plugins=plugins, clock=clock, env={}) as neoclone:
        scans = neoclone.initialize()
        assert [s.provider for s in scans] == ["p"]
        response, route = neoclone.chat("hi", models=["p/m1"])
    assert response.content == "hello"
    assert route.served_by == "p/m1"


async def test_every_plan_ends_with_the_local_model_unless_the_config_opts_out(
    settings: Settings, clock: ManualClock, new_neoclone: NewNeoclone
) -> None:
    import attrs

    remote = FakeProvider("remote", chat_error=ProviderUnavailableError("down"))
    local = FakeProvider("local", models=("tiny",), answer="from this machine", last_resort=True)
    async with new_neoclone(remote, local) as neoclone:
        await neoclone.initialize()
        response, route = await neoclone.chat("hi", models=["remote/m1"])
        assert [a.model_id for a in route.attempts if not a.retry] == ["remote/m1", "local/tiny"]
        assert response.content == "from this machine"
        plan = neoclone.plan_for(ChatRequest.from_prompt("hi"), ["local/tiny", "remote/m1"])
        assert [m.id for m in plan.models] == ["local/tiny", "remote/m1"]  # no second copy
        assert neoclone.last_resort is not None and neoclone.last_resort.id == "local/tiny"
    opted_out = attrs.evolve(settings, local_fallback=False)
    async with make_neoclone(opted_out, clock, remote, local) as neoclone:
        await neoclone.initialize()
        plan = neoclone.plan_for(ChatRequest.from_prompt("hi"), ["remote/m1"])
        assert neoclone.last_resort is None
    assert [m.id for m in plan.models] == ["remote/m1"]


async def test_requests_read_the_catalog_from_the_store_once_per_discovery(
    monkeypatch: pytest.MonkeyPatch, new_neoclone: NewNeoclone
) -> None:
    provider = FakeProvider("p")
    local = FakeProvider("local", models=("tiny",), last_resort=True)
    async with new_neoclone(provider, local) as neoclone:
        await neoclone.initialize()
        reads = 0
        read_catalog = Catalog.models

        def counted(catalog: Catalog) -> list[ModelInfo]:
            nonlocal reads
            reads += 1
            return read_catalog(catalog)

        monkeypatch.setattr(Catalog, "models", counted)
        for _ in range(3):  # named models, an analysed task, the local model added last
            await neoclone.chat("hi", models=["p/m1"])
            await neoclone.chat("write a python function")
        assert reads == 1
        provider.models = ("m1", "m3:free")
        await neoclone.refresh_models()
        assert neoclone.model("p/m3:free").free  # a rediscovery is seen at once
        assert reads == 2


async def test_a_running_instance_sees_another_processes_scan_within_a_second(
    clock: ManualClock, new_neoclone: NewNeoclone
) -> None:
    provider = FakeProvider("p")
    async with new_neoclone(provider) as serving:
        await serving.initialize()
        assert [m.id for m in serving.models()] == ["p/m1", "p/m2:free"]
        provider.models = ("m1", "m3:free")
        async with new_neoclone(provider) as other:  # same store file
            await other.refresh_models()  # `neoclone discover --refresh` beside a gateway
        assert "p/m3:free" not in serving._reader.index().by_id  # not looked at yet
        clock.advance(1.0)
        assert serving.model("p/m3:free").free


async def test_plans_hold_only_models_this_machine_can_call_and_say_what_was_left_out(
    new_neoclone: NewNeoclone,
) -> None:
    keyed = FakeProvider("keyed", models=("strong:free",), api_key_env="KEYED_API_KEY")
    open_ = FakeProvider("open", models=("plain:free",))
    async with new_neoclone(keyed, open_) as neoclone:
        await neoclone.initialize()
        profile = neoclone.analyse("What is the capital of Australia?")

        ranked = {s.model.provider for s in neoclone.rank(profile)}
        plan = neoclone.plan(profile)
        everything = {s.model.provider for s in neoclone.rank(profile, all_providers=True)}
        recommended = await neoclone.recommend("hi", all_providers=True)

    assert ranked == {"open"}
    assert {m.provider for m in plan.models} == {"open"}
    assert "left out, no key set: keyed (set KEYED_API_KEY to add them)" in plan.reasons
    assert everything == {"keyed", "open"}
    assert "keyed" in {r.model.provider for r in recommended}


async def test_a_provider_whose_key_is_set_is_planned(new_neoclone: NewNeoclone) -> None:
    keyed = FakeProvider("keyed", models=("strong:free",), api_key_env="KEYED_API_KEY")
    env = {"KEYED_API_KEY": "k-" + "1" * 30}
    async with new_neoclone(keyed, env=env) as neoclone:
        await neoclone.initialize()
        plan = neoclone.plan(neoclone.analyse("hi"))

    assert [m.id for m in plan.models] == ["keyed/strong:free"]
    assert not any("left out" in reason for reason in plan.reasons)
