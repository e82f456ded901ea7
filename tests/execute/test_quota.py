"""The engine spends nothing it knows is gone: against a real loopback upstream that
enforces 5 requests a minute per model, counting `x-ratelimit-remaining-requests` down
(the header Groq documents) and answering 429 after, the ledger keeps every model within
its limit, whether the limit is learnt from the headers or known from the catalog."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import attrs
import pytest

from neoclone_core import (
    ChatRequest,
    Plan,
    Settings,
)
from neoclone_core.config_quota import QuotaSettings
from neoclone_core.errors import NoModelAvailableError
from neoclone_core.execute.quota_left import QuotaLeft
from neoclone_core.models import RateLimit
from neoclone_core.testing import RecordedRequest, RecordingServer, Reply
from tests.support import CompatProvider, ManualClock, OpenedNeoclone, answer, body_of, path, sse

pytestmark = pytest.mark.anyio
LIMIT = 5  # requests a minute per model, as the upstream enforces it
LIMITED = ("alpha", "beta", "gamma")
PLAN = ["alpha/m", "beta/m", "gamma/m", "backup/m"]
UNLIMITED = RateLimit()


@attrs.define
class LimitedUpstream:
    """Serves `LIMIT` requests a minute (fixed minutes of the test's clock), telling how
    many are left in `x-ratelimit-*-requests`, and a 429 after."""

    clock: ManualClock
    headers: bool = True
    served: list[float] = attrs.field(factory=list)
    refused: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def __call__(self, request: RecordedRequest) -> Reply:
        with self._lock:
            now = self.clock()
            minute_end = (now // 60 + 1) * 60
            in_minute = [t for t in self.served if t // 60 == now // 60]
            left = LIMIT - len(in_minute)
            if left <= 0:
                self.refused += 1
                body = {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}
                return Reply(status=429, body=body, headers=self._said(0, minute_end - now))
            self.served.append(now)
            said = self._said(left - 1, minute_end - now)
            if body_of(request).get("stream"):
                return sse("o", "k", headers=said)
            return Reply(body=answer("ok").body, headers=said)

    def _said(self, left: int, reset_s: float) -> dict[str, str]:
        if not self.headers:
            return {}
        return {
            "x-ratelimit-limit-requests": str(LIMIT),
            "x-ratelimit-remaining-requests": str(left),
            "x-ratelimit-reset-requests": f"{reset_s:.2f}s",
        }


def limited(name: str, base_url: str, limits: RateLimit = UNLIMITED) -> CompatProvider:
    """An OpenAI-compatible provider over real HTTP whose one model has `limits`."""
    return CompatProvider(name, base_url, rate_limit=limits)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


def setup(
    server: RecordingServer, clock: ManualClock, *, headers: bool, limits: RateLimit = UNLIMITED
) -> tuple[dict[str, LimitedUpstream], list[CompatProvider]]:
    upstreams = {name: LimitedUpstream(clock, headers=headers) for name in LIMITED}
    for name, upstream in upstreams.items():
        server.route("POST", path(name), upstream)  # type: ignore[arg-type]
    server.route("POST", path("backup"), answer("from the backup"))
    providers = [limited(n, f"{server.url}/{n}/v1", limits) for n in LIMITED]
    providers.append(limited("backup", f"{server.url}/backup/v1"))
    return upstreams, providers


async def test_twenty_requests_are_served_and_no_429_comes_once_the_headers_said_0(
    server: RecordingServer, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    upstreams, providers = setup(server, clock, headers=True)

    async with opened_neoclone(*providers) as nc:
        routes = [(await nc.chat("hi", models=PLAN))[1] for _ in range(20)]

    assert all(route.served_by is not None for route in routes)
    assert [len(u.served) for u in upstreams.values()] == [LIMIT] * 3
    assert sum(u.refused for u in upstreams.values()) == 0
    assert server.hits("POST", path("backup")) == 20 - 3 * LIMIT
    skipped = [a for a in routes[-1].attempts if a.skipped]
    assert [a.model_id for a in skipped] == ["alpha/m", "beta/m", "gamma/m"]
    assert skipped[0].error == "alpha/m: 0 of 5 requests left as the provider said, resets in 40s"


async def test_a_streams_headers_count_too_and_no_429_comes_once_they_said_0(
    server: RecordingServer, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    upstreams, providers = setup(server, clock, headers=True)

    async with opened_neoclone(*providers) as nc:
        for _ in range(20):
            async with nc.stream("hi", models=PLAN) as stream:
                assert "".join([c.content async for c in stream]) in {"ok", "from the backup"}

    assert [len(u.served) for u in upstreams.values()] == [LIMIT] * 3
    assert sum(u.refused for u in upstreams.values()) == 0  # the headers' 0 was heeded
    assert server.hits("POST", path("backup")) == 20 - 3 * LIMIT


async def test_a_limit_known_from_the_catalog_is_never_exceeded_and_no_429_is_sent(
    server: RecordingServer, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    upstreams, providers = setup(
        server, clock, headers=False, limits=RateLimit(requests_per_minute=LIMIT)
    )

    async with opened_neoclone(*providers) as nc:
        routes = [(await nc.chat("hi", models=PLAN))[1] for _ in range(20)]

    assert all(route.served_by is not None for route in routes)
    assert [len(u.served) for u in upstreams.values()] == [LIMIT] * 3
    assert sum(u.refused for u in upstreams.values()) == 0
    skipped = [a for a in routes[-1].attempts if a.skipped]
    assert skipped[0].error.startswith("alpha/m: 0 of 5 requests left a minute, resets in")


async def test_after_the_reset_the_limited_models_are_used_again(
    server: RecordingServer, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    clock.now = 1_700_000_080.0  # 20 s before a minute ends
    upstreams, providers = setup(server, clock, headers=True)

    async with opened_neoclone(*providers) as nc:
        for _ in range(2 * LIMIT):
            await nc.chat("hi", models=PLAN)
        assert [len(u.served) for u in upstreams.values()] == [LIMIT, LIMIT, 0]
        clock.advance(21)  # the upstream's minute, and the statement it made, are over
        _, route = await nc.chat("hi", models=PLAN)

    assert route.served_by == "alpha/m"
    assert len(upstreams["alpha"].served) == LIMIT + 1
    assert sum(u.refused for u in upstreams.values()) == 0


async def test_a_request_whose_tokens_do_not_fit_goes_where_they_fit(
    server: RecordingServer, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    _, providers = setup(server, clock, headers=False)
    providers[0] = attrs.evolve(providers[0], rate_limit=RateLimit(tokens_per_minute=300))

    async with opened_neoclone(*providers) as nc:
        _, small = await nc.chat(ChatRequest.from_prompt("hi", max_tokens=100), models=PLAN)
        _, large = await nc.chat(ChatRequest.from_prompt("hi", max_tokens=1000), models=PLAN)

    assert small.served_by == "alpha/m"
    assert large.served_by == "beta/m"
    assert large.attempts[0].skipped
    assert large.attempts[0].error.startswith("alpha/m: needs ~1,001 tokens, ")


async def test_the_availability_score_falls_with_the_quota_left(
    server: RecordingServer, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    _, providers = setup(server, clock, headers=False, limits=RateLimit(requests_per_day=10))

    async with opened_neoclone(*providers) as nc:
        for _ in range(8):
            await nc.chat("hi", models=["alpha/m"])
            clock.advance(30)  # within the upstream's own 5 a minute
        await nc.chat("hi", models=["beta/m"])
        clock.advance(2)  # past the engine's one-second view of the ledger
        ranking = nc.rank(nc.analyse("What is the capital of Australia?"))

    def availability(model_id: str) -> tuple[float, str]:
        scored = next(s for s in ranking if s.model.id == model_id)
        found = next(c for c in scored.score.components if c.name == "availability")
        return found.points, found.reason

    (alpha, alpha_reason), (beta, beta_reason) = availability("alpha/m"), availability("beta/m")
    assert alpha < beta / 3  # both always answered: only the quota left tells them apart
    assert alpha_reason.startswith("8 ok / 0 failed")
    assert alpha_reason.endswith(", 20% of its free quota left")
    assert beta_reason.endswith(", 90% of its free quota left")


async def test_what_is_left_is_known_from_the_catalog_or_from_what_a_provider_said(
    server: RecordingServer, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    _, providers = setup(server, clock, headers=True)  # no limit in the catalog
    providers[3] = limited("backup", f"{server.url}/backup/v1", RateLimit(requests_per_day=10))

    async with opened_neoclone(*providers) as nc:

        def left(model_id: str) -> QuotaLeft:
            return nc.quota_left(Plan(models=(nc.model(model_id),)))

        before = left("alpha/m")
        await nc.chat("hi", models=["alpha/m"])
        said, silent = left("alpha/m"), left("beta/m")
        await nc.chat("hi", models=["backup/m"])
        listed = left("backup/m")

    assert before.requests is None and before.tokens is None  # nothing known yet
    assert said.requests is not None and (said.requests.left, said.requests.limit) == (4, 5)
    assert silent.requests is None  # beta said nothing yet: no figure, not an endless one
    assert listed.requests is not None and (listed.requests.left, listed.requests.limit) == (9, 10)


async def test_budgets_from_the_config_stop_below_the_free_limit(
    server: RecordingServer,
    clock: ManualClock,
    opened_neoclone: OpenedNeoclone,
    settings: Settings,
) -> None:
    _, providers = setup(server, clock, headers=False, limits=RateLimit(requests_per_day=10))
    quota = QuotaSettings(
        health_share=0.5,  # of every limit, half is kept for health checks
        models={"beta/m": RateLimit(requests_per_day=2)},
        providers={"gamma": RateLimit(requests_per_day=2)},
    )

    async with opened_neoclone(*providers, settings=attrs.evolve(settings, quota=quota)) as nc:
        routes = [(await nc.chat("hi", models=PLAN))[1] for _ in range(9)]
        report = nc.quota()

    served = [route.served_by for route in routes]
    assert served == ["alpha/m"] * 5 + ["beta/m", "gamma/m"] + ["backup/m"] * 2
    days = {(w["model"], w["window"]): w["requests"] for w in report["windows"]}
    assert days["alpha/m", "day-utc"] == {"used": 5, "limit": 5, "left": 0}
    assert days["beta/m", "day-utc"] == {"used": 1, "limit": 1, "left": 0}
    assert days[None, "day-utc"] == {"used": 1, "limit": 1, "left": 0}  # gamma's account


async def test_when_every_model_is_out_the_wait_until_the_first_reset_is_known(
    server: RecordingServer, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    _, providers = setup(server, clock, headers=False, limits=RateLimit(requests_per_minute=1))
    plan = ["alpha/m", "beta/m"]

    async with opened_neoclone(*providers) as nc:
        for _ in range(2):
            await nc.chat("hi", models=plan)
        with pytest.raises(NoModelAvailableError) as raised:
            await nc.chat("hi", models=plan)
        wait = nc.rate_limit_wait(Plan(tuple(nc.model(m) for m in plan)), raised.value.route)

    assert [a.skipped for a in raised.value.route.attempts] == [True, True]
    assert wait == 65  # the first minute bucket ages out 60 to 65 s after it began
