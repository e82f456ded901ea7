"""The fault matrix: every way an upstream fails, served by a real loopback HTTP server
through the real OpenAI-compatible client, with the exact number of upstream calls.

The plan is a primary (`/p/v1`) and a backup (`/b/v1`) unless a case needs more; time
that matters (cooldowns, breakers) is a hand-moved clock. Only timeouts wait for real,
and only a fraction of a second.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx
import pytest

from neoclone_core import BreakerState, ChatRequest, EnginePolicy, RetryPolicy, Settings, hookimpl
from neoclone_core.config import ProviderSettings
from neoclone_core.errors import BadRequestError, NoModelAvailableError
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.helpers import free_port
from tests.support import (
    CompatProvider,
    ManualClock,
    OpenedNeoclone,
    answer,
    error,
    path,
    upstream,
)

pytestmark = pytest.mark.anyio
PLAN = ["p/m", "b/m"]
SHORT_TIMEOUT_S = 0.3


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        running.route("POST", path("b"), answer("from the backup"))
        yield running


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Settings whose provider calls give up after a fraction of a second."""
    return attrs.evolve(settings, request_timeout=SHORT_TIMEOUT_S)


def providers(server: RecordingServer) -> tuple[CompatProvider, CompatProvider]:
    return upstream(server, "p"), upstream(server, "b")


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        pytest.param(error(500), "unavailable", id="500"),
        pytest.param(error(502), "unavailable", id="502"),
        pytest.param(error(503), "unavailable", id="503"),
        pytest.param(error(504), "unavailable", id="504"),
        pytest.param(Reply(close_without_response=True), "unavailable", id="closed-no-response"),
        pytest.param(
            Reply(headers={"Content-Type": "text/html"}, body=b"<html><title>Bad</title></html>"),
            "malformed_response",
            id="200-html",
        ),
        pytest.param(Reply(delay_s=5, body=b"{}"), "timeout", id="slow-first-byte"),
    ],
)
async def test_an_upstream_failure_moves_on_to_the_backup_with_one_call_each(
    quick: Settings,
    server: RecordingServer,
    reply: Reply,
    kind: str,
    opened_neoclone: OpenedNeoclone,
) -> None:
    server.route("POST", path("p"), reply)
    async with opened_neoclone(*providers(server), settings=quick) as nc:
        response, route = await nc.chat("hi", models=PLAN)
    assert response.content == "from the backup"
    assert [(a.model_id, a.outcome, a.error_kind) for a in route.attempts] == [
        ("p/m", "failed", kind),
        ("b/m", "ok", ""),
    ]
    assert (server.hits("POST", path("p")), server.hits("POST", path("b"))) == (1, 1)


async def test_a_refused_connection_moves_on_to_the_backup(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    refused = CompatProvider("p", f"http://127.0.0.1:{free_port()}/v1")
    async with opened_neoclone(refused, upstream(server, "b")) as nc:
        _, route = await nc.chat("hi", models=PLAN)
    assert [a.error_kind for a in route.attempts] == ["unavailable", ""]
    assert "cannot reach 127.0.0.1" in route.attempts[0].error
    assert server.hits("POST", path("b")) == 1


class RefusingHost(httpx.AsyncBaseTransport):
    """Real HTTP to the loopback test server, and a refused connection for `host`: a
    remote provider's host refusing, which loopback alone cannot show (a refused port
    on 127.0.0.1 is this machine's, which the policy treats apart)."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == self.host:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_remote_host_that_refuses_connections_cools_its_provider_down_briefly(
    clock: ManualClock, server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    models = (("m1", 8192), ("m2", 8192))
    refused = CompatProvider("p", "https://api.provider.test/v1", models=models)
    transport = RefusingHost("api.provider.test")
    async with opened_neoclone(refused, upstream(server, "b"), transport=transport) as nc:
        _, route = await nc.chat("hi", models=["p/m1", "p/m2", "b/m"])
        assert [(a.model_id, a.outcome) for a in route.attempts] == [
            ("p/m1", "failed"),
            ("p/m2", "skipped"),  # the same host: not called
            ("b/m", "ok"),
        ]
        assert "cannot connect" in route.attempts[1].error
        clock.advance(31)  # the cooldown is short: the host may be back
        _, route = await nc.chat("hi", models=["p/m2", "b/m"])
        assert [(a.model_id, a.outcome) for a in route.attempts] == [
            ("p/m2", "failed"),
            ("b/m", "ok"),
        ]


async def test_a_refusing_host_on_this_machine_or_with_no_other_provider_left_does_not_cool_down(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    models = (("m1", 8192), ("m2", 8192))
    local = CompatProvider("p", f"http://127.0.0.1:{free_port()}/v1", models=models)
    remote = CompatProvider("q", "https://api.provider.test/v1", models=models)
    transport = RefusingHost("api.provider.test")
    async with opened_neoclone(local, remote, upstream(server, "b"), transport=transport) as nc:
        _, route = await nc.chat("hi", models=["p/m1", "p/m2", "b/m"])  # this machine's
        assert [(a.model_id, a.outcome) for a in route.attempts] == [
            ("p/m1", "failed"),
            ("p/m2", "failed"),  # tried: another instance's Ollama is not this one's
            ("b/m", "ok"),
        ]
        with pytest.raises(NoModelAvailableError) as failed:
            await nc.chat("hi", models=["q/m1", "q/m2"])  # one provider, nothing else
        tried = [(a.model_id, a.outcome, a.retry) for a in failed.value.route.attempts]
        assert tried == [  # no cooldown: the last model kept its two retries
            ("q/m1", "failed", 0),
            ("q/m2", "failed", 0),
            ("q/m2", "failed", 1),
            ("q/m2", "failed", 2),
        ]


@pytest.mark.parametrize(
    ("retry_after", "cooldown_s"),
    [
        pytest.param("30", 30, id="seconds"),
        pytest.param("date:120", 120, id="http-date"),
        pytest.param(None, 60, id="absent"),
        pytest.param("99999999", 3600, id="absurdly-large"),
    ],
)
async def test_a_rate_limited_model_cools_down_for_the_wait_it_gave_capped(
    clock: ManualClock,
    server: RecordingServer,
    retry_after: str | None,
    cooldown_s: float,
    opened_neoclone: OpenedNeoclone,
) -> None:
    if retry_after is None:
        headers = {}
    elif retry_after.startswith("date:"):
        when = clock.now + float(retry_after.removeprefix("date:"))
        headers = {"Retry-After": email.utils.formatdate(when, usegmt=True)}
    else:
        headers = {"Retry-After": retry_after}
    server.route("POST", path("p"), error(429, "slow down", headers=headers), answer("primary"))
    async with opened_neoclone(*providers(server)) as nc:
        _, first = await nc.chat("hi", models=PLAN)
        assert nc.stats()["cooldowns"]["p/m"]["until"] == clock.now + cooldown_s
        clock.advance(cooldown_s - 1)
        _, cooling = await nc.chat("hi", models=PLAN)
        clock.advance(1)
        _, back = await nc.chat("hi", models=PLAN)
    assert [a.error_kind for a in first.attempts] == ["rate_limited", ""]
    assert cooling.attempts[0].skipped and "rate limited" in cooling.attempts[0].error
    assert back.served_by == "p/m"
    assert server.hits("POST", path("p")) == 2  # the 429, then the call after the wait


async def test_a_restart_does_not_call_a_model_that_just_said_429(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), error(429, headers={"Retry-After": "600"}))
    async with opened_neoclone(*providers(server)) as first:
        await first.chat("hi", models=PLAN)
    async with opened_neoclone(*providers(server)) as restarted:
        _, route = await restarted.chat("hi", models=PLAN)
    assert route.attempts[0].skipped
    assert route.served_by == "b/m"
    assert server.hits("POST", path("p")) == 1


async def test_two_instances_sharing_a_store_see_each_others_cooldowns(
    clock: ManualClock, server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), error(429, headers={"Retry-After": "600"}))
    async with (
        opened_neoclone(*providers(server)) as one,
        opened_neoclone(*providers(server)) as other,
    ):
        await other.chat("hi", models=["b/m"])  # `other` has read the store already
        await one.chat("hi", models=PLAN)
        clock.advance(1)  # the state sync interval
        _, route = await other.chat("hi", models=PLAN)
    assert route.attempts[0].skipped
    assert server.hits("POST", path("p")) == 1


async def test_a_refused_key_benches_the_whole_provider(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), error(401, "invalid api key"))
    two_models = upstream(server, "p", models=[("m", 8192), ("m2", 8192)])
    async with opened_neoclone(two_models, upstream(server, "b")) as nc:
        _, route = await nc.chat("hi", models=["p/m", "p/m2", "b/m"])
        assert "provider:p" in nc.stats()["cooldowns"]
    assert [(a.model_id, a.outcome, a.error_kind) for a in route.attempts] == [
        ("p/m", "failed", "authentication"),
        ("p/m2", "skipped", ""),
        ("b/m", "ok", ""),
    ]
    assert server.hits("POST", path("p")) == 1


async def test_a_bad_request_goes_back_to_the_caller_without_failover(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), error(400, "temperature must be at most 2"))
    async with opened_neoclone(*providers(server)) as nc:
        with pytest.raises(BadRequestError, match="temperature must be at most 2"):
            await nc.chat("hi", models=PLAN)
        assert nc.stats()["requests"]["failures"] == 1
    assert (server.hits("POST", path("p")), server.hits("POST", path("b"))) == (1, 0)


async def test_a_context_overflow_fails_over_only_to_a_larger_context(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), error(400, "This model's maximum context length is 8192"))
    server.route("POST", path("big"), answer("fits"))
    same = upstream(server, "same")
    big = upstream(server, "big", models=[("m", 32768)])
    async with opened_neoclone(upstream(server, "p"), same, big) as nc:
        response, route = await nc.chat("a very long text", models=["p/m", "same/m", "big/m"])
    assert response.content == "fits"
    assert [(a.model_id, a.outcome, a.error_kind) for a in route.attempts] == [
        ("p/m", "failed", "context_too_long"),
        ("same/m", "skipped", ""),
        ("big/m", "ok", ""),
    ]
    assert "not larger than the 8,192" in route.attempts[1].error
    assert (server.hits("POST", path("same")), server.hits("POST", path("big"))) == (0, 1)


async def test_an_open_breaker_gets_zero_calls_and_its_probes_wait_longer_each_time(
    clock: ManualClock, server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), error(503))
    async with opened_neoclone(*providers(server)) as nc:

        async def hits_after(requests: int, served_by: str = "b/m") -> int:
            for _ in range(requests):
                _, route = await nc.chat("hi", models=PLAN)
                assert route.served_by == served_by
            return server.hits("POST", path("p"))

        assert await hits_after(4) == 4  # four failures do not open it
        assert await hits_after(1) == 5  # the fifth does
        assert await hits_after(10) == 5  # open: not one call
        clock.advance(30)
        assert await hits_after(3) == 6  # half-open: one probe, which fails: open for 60 s
        clock.advance(59)
        assert await hits_after(3) == 6
        clock.advance(1)
        assert await hits_after(3) == 7  # the second probe
        server.route("POST", path("p"), answer("recovered"))
        clock.advance(120)
        assert await hits_after(1, "p/m") == 8  # the third probe succeeds and closes it
        assert await hits_after(2, "p/m") == 10
        assert nc.stats()["breakers"] == {}


async def test_the_last_model_is_retried_with_backoff_then_serves(
    clock: ManualClock, server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), error(503), error(502), answer("third time"))
    async with opened_neoclone(upstream(server, "p"), rng=lambda: 0.5) as nc:
        response, route = await nc.chat("hi", models=["p/m"])
    assert response.content == "third time"
    assert [(a.outcome, a.retry) for a in route.attempts] == [
        ("failed", 0),
        ("failed", 1),
        ("ok", 2),
    ]
    assert clock.slept == [0.25, 0.5]  # full jitter: half of 0.5 s, then of 1 s
    assert server.hits("POST", path("p")) == 3


async def test_retries_never_sleep_past_the_deadline(
    clock: ManualClock, server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), error(503))
    policy = EnginePolicy(retry=RetryPolicy(max_retries=5, base_s=0.4), deadline_s=1.0)
    async with opened_neoclone(upstream(server, "p"), policy=policy, rng=lambda: 0.999) as nc:
        with pytest.raises(NoModelAvailableError):
            await nc.chat("hi", models=["p/m"])
    # 0.3996 s fits in the 1 s deadline; the next backoff (0.7992 s) would pass it
    assert clock.slept == [pytest.approx(0.3996)]
    assert server.hits("POST", path("p")) == 2


class Elapse:
    """Moves the hand-held clock on at every failed attempt, as a slow call would."""

    def __init__(self, clock: ManualClock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    @hookimpl
    def neoclone_attempt_failed(self) -> None:
        self.clock.advance(self.seconds)


async def test_the_deadline_bounds_each_attempt_and_skips_what_is_left(
    settings: Settings, clock: ManualClock, server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    patient = attrs.evolve(settings, providers={"p": ProviderSettings(timeout=30.0)})
    server.route("POST", path("p"), Reply(delay_s=5, body=b"{}"))
    policy = EnginePolicy(deadline_s=SHORT_TIMEOUT_S)
    elapse = Elapse(clock, SHORT_TIMEOUT_S)
    async with opened_neoclone(
        *providers(server), policy=policy, extra=[elapse], settings=patient
    ) as nc:
        with pytest.raises(NoModelAvailableError) as caught:
            await nc.chat("hi", models=PLAN)
    attempts = caught.value.route.attempts
    assert [(a.model_id, a.outcome, a.error_kind) for a in attempts] == [
        ("p/m", "failed", "timeout"),  # bounded by the deadline, not the 30 s timeout
        ("b/m", "skipped", ""),
    ]
    assert f"within {SHORT_TIMEOUT_S:g}s" in attempts[0].error
    assert "deadline" in attempts[1].error
    assert server.hits("POST", path("b")) == 0


ROOT = Path(__file__).resolve().parents[2]
OPENROUTER_FIXTURES = ROOT / "plugins" / "neoclone-provider-openrouter" / "tests" / "fixtures"


async def test_openrouters_daily_quota_benches_the_model_until_the_reset_it_names(
    settings: Settings, clock: ManualClock, server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    openrouter = pytest.importorskip("neoclone_provider_openrouter", reason="a plugin's")
    OpenRouterProvider = openrouter.OpenRouterProvider

    quota = ROOT / "tests" / "fixtures" / "errors" / "openrouter-429-free-models-per-day.json"
    reset_at = 1777420800  # the recorded X-RateLimit-Reset, in seconds
    clock.now = reset_at - 1800.0
    server.route(
        "GET",
        "/api/v1/models",
        Reply.json_file(OPENROUTER_FIXTURES / "openrouter-models-2025-05.json"),
    )
    server.route("POST", "/api/v1/chat/completions", Reply.json_file(quota, status=429))
    routed = attrs.evolve(
        settings, providers={"openrouter": ProviderSettings(base_url=f"{server.url}/api/v1")}
    )
    key = {"OPENROUTER_API_KEY": "sk-or-v1-" + "a" * 64}
    async with opened_neoclone(
        OpenRouterProvider(), upstream(server, "b"), env=key, settings=routed
    ) as nc:
        free = [m.id for m in nc.models(provider="openrouter", free_only=True)][:2]
        _, route = await nc.chat("hi", models=[*free, "b/m"])
        cooldowns = nc.stats()["cooldowns"]
    # The 429 says the account's free requests are spent until the reset (its body echoes
    # X-RateLimit-Remaining: 0): the second free model is skipped, not sent a request.
    assert [a.error_kind for a in route.attempts] == ["rate_limited", "", ""]
    assert route.attempts[1].skipped
    assert route.attempts[1].error == (
        "openrouter: 0 of 50 requests left as the provider said, resets in 30m 0s"
    )
    assert cooldowns[free[0]]["until"] == reset_at  # half an hour: the quota's reset
    assert server.hits("POST", "/api/v1/chat/completions") == 1


async def test_a_request_that_cannot_be_encoded_is_the_callers_and_opens_no_breaker(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    """Issue 16, defect 1: NaN (or a lone surrogate) fails while the call is being built,
    before the network; that is the caller's BadRequestError, returned at once, and it
    counts against neither the model's breaker nor its provider's."""
    server.route("POST", path("p"), answer("Hi."))
    bad = ChatRequest.from_prompt("hi", temperature=float("nan"))
    async with opened_neoclone(upstream(server, "p"), upstream(server, "b")) as nc:
        for _ in range(6):  # more than the 5 failures in a row that open a breaker
            with pytest.raises(BadRequestError, match="NaN"):
                await nc.chat(bad, models=PLAN)
        response, route = await nc.chat("hi", models=PLAN)
    assert route.served_by == "p/m" and response.content == "Hi."
    # No model breaker was ever made; the provider's heard only the success.
    assert nc.breaker_states() == {"provider:p": BreakerState("provider:p")}
    assert list(nc._engine.admission._breakers["provider:p"].outcomes) == [("p/m", True)]
    assert server.hits("POST", path("p")) == 1 and server.hits("POST", path("b")) == 0
