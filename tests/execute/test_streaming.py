"""Streaming: failover is transparent until the first chunk and explicit after it; a
caller that stops reading closes the upstream call. Real HTTP to a loopback server."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from neoclone_core import ChatStream, Settings
from neoclone_core.errors import NoModelAvailableError, StreamInterruptedError
from neoclone_core.testing import RecordingServer, Reply
from tests.support import (
    NewNeoclone,
    OpenedNeoclone,
    active_connections,
    error,
    path,
    sse,
    upstream,
    wait_for,
)

pytestmark = pytest.mark.anyio
PLAN = ["p/m", "b/m"]


async def read_into(received: list[str], stream: ChatStream) -> None:
    async for chunk in stream:
        received.append(chunk.content)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        running.route("POST", path("b"), sse("from ", "the backup"))
        yield running


@pytest.fixture
def quick(settings: Settings) -> Settings:
    return attrs.evolve(settings, request_timeout=0.3)


async def test_a_stream_yields_its_chunks_and_names_its_model_before_the_first(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), sse("Hel", "lo"))
    async with (
        opened_neoclone(upstream(server, "p"), upstream(server, "b")) as nc,
        nc.stream("hi", models=PLAN) as stream,
    ):
        assert stream.model.id == "p/m"
        assert stream.route is None
        texts = [chunk.content async for chunk in stream]
        stats = nc.stats()
    assert texts == ["Hel", "lo", ""]
    assert stream.content == "Hello"
    assert stream.route is not None and stream.route.served_by == "p/m"
    assert stream.route.ttft_s is not None
    assert stats["models"]["p/m"]["ttft_p50_s"] == stream.route.ttft_s
    assert server.requests[0].json()["stream"] is True


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        pytest.param(error(503), "unavailable", id="503"),
        pytest.param(error(429, headers={"Retry-After": "9"}), "rate_limited", id="429"),
        pytest.param(sse("never seen", cut_after_events=0), "unavailable", id="cut-before-first"),
        pytest.param(sse("never seen", stall_after_events=0), "timeout", id="stall-before-first"),
        pytest.param(sse("late", delay_s=5), "timeout", id="slow-first-byte"),
        pytest.param(
            Reply.sse([{"error": {"code": 502, "message": "upstream died"}}]),
            "unavailable",
            id="error-event-before-first",
        ),
    ],
)
async def test_before_the_first_chunk_failover_is_transparent(
    quick: Settings,
    server: RecordingServer,
    reply: Reply,
    kind: str,
    opened_neoclone: OpenedNeoclone,
) -> None:
    server.route("POST", path("p"), reply)
    async with (
        opened_neoclone(upstream(server, "p"), upstream(server, "b"), settings=quick) as nc,
        nc.stream("hi", models=PLAN) as stream,
    ):
        assert stream.model.id == "b/m"
        texts = [chunk.content async for chunk in stream]
    assert "".join(texts) == "from the backup"
    assert stream.route is not None
    assert [(a.model_id, a.outcome, a.error_kind) for a in stream.route.attempts] == [
        ("p/m", "failed", kind),
        ("b/m", "ok", ""),
    ]
    assert (server.hits("POST", path("p")), server.hits("POST", path("b"))) == (1, 1)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(sse("first ", "second", cut_after_events=1), id="cut-after-first"),
        pytest.param(sse("first ", "second", stall_after_events=1), id="stall-after-first"),
        pytest.param(
            Reply.sse([{"choices": [{"delta": {"content": "first "}}]}, "{not json"]),
            id="garbage-after-first",
        ),
    ],
)
async def test_after_the_first_chunk_a_failure_ends_the_stream_explicitly(
    quick: Settings, server: RecordingServer, reply: Reply, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), reply)
    received: list[str] = []
    async with opened_neoclone(upstream(server, "p"), upstream(server, "b"), settings=quick) as nc:
        async with nc.stream("hi", models=PLAN) as stream:
            with pytest.raises(StreamInterruptedError):
                await read_into(received, stream)
        stats = nc.stats()
    assert received == ["first "]
    assert stream.route is not None and stream.route.served_by is None
    assert [(a.model_id, a.error_kind) for a in stream.route.attempts] == [
        ("p/m", "stream_interrupted")
    ]
    assert server.hits("POST", path("b")) == 0  # never a silent switch mid-answer
    assert stats["models"]["p/m"]["errors_by_kind"] == {"stream_interrupted": 1}
    assert stats["requests"]["failures"] == 1


async def test_when_no_model_reaches_a_first_chunk_entering_raises_with_the_route(
    quick: Settings, server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), error(503))
    server.route("POST", path("b"), sse("x", cut_after_events=0))
    async with opened_neoclone(upstream(server, "p"), upstream(server, "b"), settings=quick) as nc:
        with pytest.raises(NoModelAvailableError) as caught:
            async with nc.stream("hi", models=PLAN):
                pytest.fail("the stream must not open")
    kinds = [a.error_kind for a in caught.value.route.attempts]
    assert kinds == ["unavailable", "unavailable", "unavailable", "unavailable"]  # b retried


async def test_a_caller_that_stops_reading_closes_the_upstream_call(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), sse(*[f"{n} " for n in range(100)], event_delay_s=0.05))
    async with opened_neoclone(upstream(server, "p"), upstream(server, "b")) as nc:
        async with nc.stream("hi", models=PLAN) as stream:
            async for _chunk in stream:
                break
            assert active_connections(nc) == 1
        assert active_connections(nc) == 0
        stats = nc.stats()
    assert stream.route is not None
    assert [(a.model_id, a.error_kind) for a in stream.route.attempts] == [("p/m", "cancelled")]
    assert stats["breakers"] == {}
    assert "p/m" not in stats["models"]  # the caller leaving says nothing about the model
    await wait_for(lambda: server.hits("POST", path("p")) == 1)


async def test_a_stream_must_be_opened_before_it_is_read(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    async with opened_neoclone(upstream(server, "b")) as nc:
        stream = nc.stream("hi", models=["b/m"])
        with pytest.raises(RuntimeError, match="async with"):
            await stream.__anext__()


async def test_an_empty_stream_is_an_empty_answer(
    server: RecordingServer, opened_neoclone: OpenedNeoclone
) -> None:
    server.route("POST", path("p"), Reply.sse([]))
    async with (
        opened_neoclone(upstream(server, "p")) as nc,
        nc.stream("hi", models=["p/m"]) as stream,
    ):
        assert [c async for c in stream] == []
    assert stream.route is not None and stream.route.served_by == "p/m"


async def test_building_a_stream_calls_nothing_until_it_is_entered(
    server: RecordingServer, new_neoclone: NewNeoclone
) -> None:
    async with new_neoclone(upstream(server, "b"), rng=lambda: 0.5) as nc:
        await nc.initialize()
        stream = nc.stream("hi", models=["b/m"])
        assert stream.route is None
    assert server.hits() == 0
