"""Many requests at once: callers cancelling at concurrency 50 release everything, and
2,000 requests over a half-broken and a dead upstream all succeed while the dead one's
breaker keeps traffic away from it."""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Iterator

import anyio
import httpx
import pytest

from neoclone_core import ModelInfo, hookimpl
from neoclone_core.testing import RecordedRequest, RecordingServer, Reply
from tests.support import (
    ManualClock,
    OpenedNeoclone,
    active_connections,
    answer,
    error,
    path,
    sse,
    upstream,
    wait_for,
)

pytestmark = pytest.mark.anyio
CONCURRENCY = 50
CONNECTIONS = 10  # the loopback server runs a thread per connection: fewer is faster


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


async def test_fifty_callers_cancelling_release_every_connection_and_blame_no_model(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), Reply(delay_s=30, body=b"{}"))  # answers only at stop
    async with opened_neoclone(upstream(server, "p")) as nc:
        async with anyio.create_task_group() as group:
            for _ in range(CONCURRENCY):
                group.start_soon(functools.partial(nc.chat, "hi", models=["p/m"]))
            await wait_for(lambda: server.hits("POST", path("p")) == CONCURRENCY)
            assert active_connections(nc) == CONCURRENCY
            group.cancel_scope.cancel()
        assert active_connections(nc) == 0
        stats = nc.stats()
        server.route("POST", path("p"), answer("back to normal"))
        response, _ = await nc.chat("hi", models=["p/m"])
    assert response.content == "back to normal"
    assert stats["models"] == {}  # cancelled calls are neither successes nor failures
    assert stats["breakers"] == {}
    assert stats["requests"]["requests"] == 0
    assert server.hits("POST", path("p")) == CONCURRENCY + 1


async def test_fifty_streams_cancelled_mid_answer_close_their_upstream_calls(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), sse(*[f"{n} " for n in range(1000)], event_delay_s=0.05))
    started = anyio.Event()
    reading = 0

    async def read_forever() -> None:
        nonlocal reading
        async with nc.stream("hi", models=["p/m"]) as stream:
            reading += 1  # this stream has its first chunk
            if reading == CONCURRENCY:
                started.set()
            async for _chunk in stream:
                pass

    async with opened_neoclone(upstream(server, "p")) as nc:
        async with anyio.create_task_group() as group:
            for _ in range(CONCURRENCY):
                group.start_soon(read_forever)
            await started.wait()
            group.cancel_scope.cancel()
        assert active_connections(nc) == 0
        assert nc.stats()["models"] == {}
    assert server.hits("POST", path("p")) == CONCURRENCY


class Traffic:
    """Counts, per model, the attempts started and those started while its breaker was
    open (before its `until`: a half-open probe after it is allowed)."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.open_until: dict[str, float] = {}
        self.started: dict[str, int] = {}
        self.started_while_open: dict[str, int] = {}
        self.openings: dict[str, int] = {}

    @hookimpl
    def neoclone_attempt_started(self, model: ModelInfo) -> None:
        self.started[model.id] = self.started.get(model.id, 0) + 1
        if self.clock.now < self.open_until.get(model.id, 0.0):
            self.started_while_open[model.id] = self.started_while_open.get(model.id, 0) + 1

    @hookimpl
    def neoclone_breaker_opened(self, key: str, until: float) -> None:
        self.open_until[key] = until
        self.openings[key] = self.openings.get(key, 0) + 1

    @hookimpl
    def neoclone_breaker_closed(self, key: str) -> None:
        self.open_until.pop(key, None)


def half_failing(seed: int) -> object:
    """A reply factory failing half of the calls, at random but reproducibly."""
    draw, lock = random.Random(seed), threading.Lock()

    def reply(request: RecordedRequest) -> Reply:
        with lock:
            fails = draw.random() < 0.5
        return error(503) if fails else answer("from the flaky one")

    return reply


async def test_two_thousand_requests_over_a_flaky_and_a_dead_upstream_all_succeed(
    clock: ManualClock, server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("dead"), error(503))
    server.route("POST", path("flaky"), half_failing(seed=5))  # type: ignore[arg-type]
    server.route("POST", path("good"), answer("from the good one"))
    traffic = Traffic(clock)
    plan = ["dead/m", "flaky/m", "good/m"]
    upstreams = [upstream(server, name) for name in ("dead", "flaky", "good")]
    served: dict[str | None, int] = {}

    pool = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=CONNECTIONS))
    async with opened_neoclone(*upstreams, extra=[traffic], transport=pool) as nc:

        async def caller(requests: int) -> None:
            for _ in range(requests):
                _, route = await nc.chat("hi", models=plan)
                served[route.served_by] = served.get(route.served_by, 0) + 1
                clock.advance(0.05)  # 2,000 requests span 100 s: breakers reopen and probe

        async with anyio.create_task_group() as group:
            for _ in range(CONCURRENCY):
                group.start_soon(caller, 2000 // CONCURRENCY)

    assert sum(served.values()) == 2000 and None not in served  # every request succeeded
    dead = "dead/m"
    # Once open, the dead upstream got only the half-open probes (each failed, reopening
    # the breaker for longer): no other call reached it while its breaker was open.
    assert traffic.started_while_open.get(dead, 0) == 0
    assert traffic.openings[dead] >= 2
    # Every call that reached it was one the engine started (on a loaded machine a started
    # call may also fail before the upstream reads it: a pool or connect timeout).
    assert 0 < server.hits("POST", path("dead")) <= traffic.started[dead]
    assert traffic.started[dead] < 2 * CONCURRENCY  # the first wave, then probes only
    assert served.get("flaky/m", 0) > 0
    print(f"served {served}; dead: {traffic.started[dead]} calls, {traffic.openings}")
