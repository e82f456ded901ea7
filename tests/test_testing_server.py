"""The recording server that replays provider responses and injects faults in tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from neoclone_core.testing import RecordedRequest, RecordingServer, Reply

# Copied unchanged from the shared recordings: ollama/ollama docs/api.md, `GET /api/tags`.
OLLAMA_TAGS = Path(__file__).parent / "fixtures" / "providers" / "ollama-tags-docs-example.json"

SHORT_TIMEOUT = httpx.Timeout(5.0, read=0.3)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as http:
        yield http


def stream_lines(client: httpx.Client, url: str, collected: list[str]) -> None:
    """Read an SSE response line by line into `collected`, keeping the data lines."""
    with client.stream("POST", url) as response:
        collected.extend(line for line in response.iter_lines() if line)


def test_json_reply_is_served_with_its_status_and_headers(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("GET", "/v1/models", Reply(status=201, headers={"X-Test": "yes"}, body={"a": 1}))

    response = client.get(f"{server.url}/v1/models")

    assert response.status_code == 201
    assert response.headers["x-test"] == "yes"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"a": 1}


def test_recorded_file_is_served_byte_for_byte(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("GET", "/api/tags", Reply.json_file(OLLAMA_TAGS))

    response = client.get(f"{server.url}/api/tags")

    assert response.content == OLLAMA_TAGS.read_bytes()
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(OLLAMA_TAGS.stat().st_size)


def test_text_body_is_utf8_and_headers_override_the_content_type(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("GET", "/page", Reply(status=502, headers={"content-type": "text/html"}, body="é"))

    response = client.get(f"{server.url}/page")

    assert response.status_code == 502
    assert response.headers.get_list("content-type") == ["text/html"]
    assert response.content == "é".encode()


def test_replies_are_served_in_order_then_the_last_repeats(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("GET", "/x", Reply(status=429), Reply(status=503), Reply(body="ok"))

    statuses = [client.get(f"{server.url}/x").status_code for _ in range(5)]

    assert statuses == [429, 503, 200, 200, 200]


def test_routing_again_replaces_the_route_and_starts_over(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("GET", "/x", Reply(status=429), Reply(status=200))
    client.get(f"{server.url}/x")
    server.route("GET", "/x", Reply(status=418), Reply(status=200))

    assert client.get(f"{server.url}/x").status_code == 418


def test_callable_reply_sees_the_request_body_and_headers(
    server: RecordingServer, client: httpx.Client
) -> None:
    seen: list[RecordedRequest] = []

    def echo(request: RecordedRequest) -> Reply:
        seen.append(request)
        return Reply(
            body={"model": request.json()["model"], "auth": request.headers["authorization"]}
        )

    server.route("POST", "/v1/chat/completions", echo)

    response = client.post(
        f"{server.url}/v1/chat/completions?x=1",
        json={"model": "m"},
        headers={"Authorization": "Bearer k"},
    )

    assert response.json() == {"model": "m", "auth": "Bearer k"}
    assert seen[0].method == "POST"
    assert seen[0].path == "/v1/chat/completions"
    assert seen[0].query == "x=1"
    assert seen[0].headers["AUTHORIZATION"] == "Bearer k"


def test_callable_reply_that_raises_gives_a_500_naming_the_error(
    server: RecordingServer, client: httpx.Client
) -> None:
    def broken(request: RecordedRequest) -> Reply:
        raise KeyError("oops")

    server.route("GET", "/x", broken)

    response = client.get(f"{server.url}/x")

    assert response.status_code == 500
    assert "KeyError('oops')" in response.json()["error"]["message"]


def test_chunked_request_body_is_recorded_whole(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("POST", "/upload", Reply())

    client.post(f"{server.url}/upload", content=iter([b"ab", b"cd"]))

    assert server.requests[0].headers["transfer-encoding"] == "chunked"
    assert server.requests[0].body == b"abcd"


def test_hits_are_counted_per_route_and_per_wildcard(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("GET", "/api/v1/models", Reply(body=[]))
    server.route("GET", "/api/v1/models/*/endpoints", Reply(body={"data": {}}))
    for path in [
        "/api/v1/models",
        "/api/v1/models/a/b:free/endpoints",
        "/api/v1/models/c/endpoints",
    ]:
        client.get(f"{server.url}{path}")

    assert server.hits() == 3
    assert server.hits("GET", "/api/v1/models") == 1
    assert server.hits("get", "/api/v1/models/*") == 2
    assert server.hits(path="/api/v1/models/*/endpoints") == 2
    assert server.hits("POST") == 0


def test_exact_route_wins_over_a_wildcard(server: RecordingServer, client: httpx.Client) -> None:
    server.route("GET", "/models/*", Reply(body="wildcard"))
    server.route("GET", "/models/special", Reply(body="exact"))

    assert client.get(f"{server.url}/models/special").text == "exact"
    assert client.get(f"{server.url}/models/other").text == "wildcard"


def test_unknown_route_is_a_404_with_a_json_error(
    server: RecordingServer, client: httpx.Client
) -> None:
    response = client.get(f"{server.url}/x?q=1")

    assert response.status_code == 404
    assert response.json() == {"error": {"message": "no route for GET /x"}}
    assert server.hits("GET", "/x") == 1


def test_reset_forgets_requests_and_keeps_routes(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("GET", "/x", Reply())
    client.get(f"{server.url}/x")

    server.reset()

    assert server.requests == []
    assert client.get(f"{server.url}/x").status_code == 200


def test_keep_alive_connection_is_reused(server: RecordingServer, client: httpx.Client) -> None:
    server.route("GET", "/x", Reply(body={"n": 1}))

    responses = [client.get(f"{server.url}/x") for _ in range(2)]

    ports = {r.extensions["network_stream"].get_extra_info("client_addr") for r in responses}
    assert len(ports) == 1


def test_sse_events_arrive_in_order_ending_with_done(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("POST", "/chat", Reply.sse([{"n": 1}, {"n": 2}, "raw"]))
    lines: list[str] = []

    stream_lines(client, f"{server.url}/chat", lines)

    assert lines == ['data: {"n": 1}', 'data: {"n": 2}', "data: raw", "data: [DONE]"]


def test_sse_events_are_flushed_one_by_one(server: RecordingServer, client: httpx.Client) -> None:
    # The server holds back the second event until it stops: reading the first proves
    # each event is flushed on its own, with no timing involved.
    server.route("POST", "/chat", Reply(events=["first", "second"], stall_after_events=1))

    with client.stream("POST", f"{server.url}/chat") as response:
        assert response.headers["content-type"] == "text/event-stream"
        assert next(response.iter_lines()) == "data: first"


def test_sse_event_with_line_breaks_becomes_several_data_lines(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("POST", "/chat", Reply(events=["a\nb"]))
    lines: list[str] = []

    stream_lines(client, f"{server.url}/chat", lines)

    assert lines == ["data: a", "data: b"]


def test_cut_stream_gives_the_events_sent_then_a_remote_protocol_error(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("POST", "/chat", Reply.sse([{"n": 1}, {"n": 2}], cut_after_events=1))
    lines: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        stream_lines(client, f"{server.url}/chat", lines)

    assert lines == ['data: {"n": 1}']


def test_stalled_stream_fires_the_client_read_timeout_and_the_server_stops_promptly() -> None:
    lines: list[str] = []
    with RecordingServer() as server, httpx.Client(timeout=SHORT_TIMEOUT) as client:
        server.route("POST", "/chat", Reply.sse([{"n": 1}, {"n": 2}], stall_after_events=1))
        with pytest.raises(httpx.ReadTimeout):
            stream_lines(client, f"{server.url}/chat", lines)
        started = time.monotonic()

    assert time.monotonic() - started < 1.0
    assert lines == ['data: {"n": 1}']


def test_server_stops_promptly_while_a_client_still_waits_on_a_stall() -> None:
    server = RecordingServer().start()
    server.route("POST", "/chat", Reply(events=["a", "b"], stall_after_events=1))
    with httpx.Client(timeout=5.0) as client, client.stream("POST", f"{server.url}/chat") as r:
        lines = r.iter_lines()
        assert next(lines) == "data: a"
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0
        with pytest.raises(httpx.RemoteProtocolError):
            list(lines)


def test_delayed_reply_fires_the_client_timeout() -> None:
    with RecordingServer() as server, httpx.Client(timeout=SHORT_TIMEOUT) as client:
        server.route("GET", "/slow", Reply(delay_s=30.0))
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"{server.url}/slow")
        started = time.monotonic()

    assert time.monotonic() - started < 1.0


def test_event_delay_spaces_the_events(server: RecordingServer, client: httpx.Client) -> None:
    server.route("POST", "/chat", Reply(events=["a", "b", "c"], event_delay_s=0.05))
    lines: list[str] = []
    started = time.monotonic()

    stream_lines(client, f"{server.url}/chat", lines)

    assert lines == ["data: a", "data: b", "data: c"]
    assert time.monotonic() - started >= 0.1


def test_close_without_response_gives_the_client_a_remote_protocol_error(
    server: RecordingServer, client: httpx.Client
) -> None:
    server.route("POST", "/chat", Reply(close_without_response=True))

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.post(f"{server.url}/chat", json={"model": "m"})

    assert server.requests[0].json() == {"model": "m"}


def test_server_leaves_no_thread_behind() -> None:
    before = set(threading.enumerate())
    with RecordingServer() as server, httpx.Client(timeout=SHORT_TIMEOUT) as client:
        server.route("GET", "/x", Reply())
        server.route("POST", "/chat", Reply(events=["a"], stall_after_events=0))
        client.get(f"{server.url}/x")  # leaves an idle keep-alive connection open
        with pytest.raises(httpx.ReadTimeout):
            client.post(f"{server.url}/chat")

    assert set(threading.enumerate()) - before == set()


def test_url_is_refused_when_the_server_is_not_running() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = RecordingServer().url


def test_a_stream_cannot_be_both_cut_and_stalled() -> None:
    with pytest.raises(ValueError, match="either cut or stalled"):
        Reply(events=["a"], cut_after_events=1, stall_after_events=1)


def test_route_needs_a_reply() -> None:
    with pytest.raises(ValueError, match="at least one reply"):
        RecordingServer().route("GET", "/x")
