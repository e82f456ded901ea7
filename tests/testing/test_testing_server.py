"""The recording server that replays provider responses and injects faults in tests, and
the helpers that provider plugins' tests build on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from neoclone_core import ChatRequest, ModelInfo, Provider, ScanStatus, hookimpl
from neoclone_core.errors import StreamInterruptedError
from neoclone_core.openai.compat import stream_chat_completion
from neoclone_core.provider_kit import OpenAICompatibleProvider, entry_and_id
from neoclone_core.testing import (
    RecordedRequest,
    RecordingServer,
    Reply,
    collect_text,
    completion_chunk,
    local_http_client,
    neoclone_with,
    provider_context,
)

# Copied unchanged from the shared recordings: ollama/ollama docs/api.md, `GET /api/tags`.
OLLAMA_TAGS = Path(__file__).parents[1] / "fixtures" / "providers" / "ollama-tags-docs-example.json"

SHORT_TIMEOUT = httpx.Timeout(5.0, read=0.3)


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


# -- helpers for provider plugin tests -----------------------------------------------------

USER_AGENT = f"neoclone/{version('neoclone')}"


class AcmeProvider(OpenAICompatibleProvider):
    name = "acme"
    default_base_url = "http://127.0.0.1:9/v1"
    api_key_env: str | None = "ACME_API_KEY"

    def model_from_entry(self, entry: object) -> ModelInfo:
        return ModelInfo(self.name, entry_and_id(entry)[1], free=True)


class AcmePlugin:
    @hookimpl
    def neoclone_register_providers(self, register: Callable[[Provider], None]) -> None:
        register(AcmeProvider())


@pytest.mark.anyio
async def test_the_local_client_names_itself_as_the_core_client_does(
    server: RecordingServer,
) -> None:
    server.route("GET", "/x", Reply(body={}))

    async with local_http_client() as http:
        await http.get(server.url + "/x")

    assert server.requests[0].headers["user-agent"] == USER_AGENT


@pytest.mark.anyio
async def test_provider_context_is_what_the_core_hands_the_provider(
    http: httpx.AsyncClient,
) -> None:
    ctx = provider_context(AcmeProvider(), "http://127.0.0.1:1/v1", http, key="k", now=42.0)
    keyless = provider_context(AcmeProvider(), "http://127.0.0.1:1/v1", http, timeout=0.5)

    assert (ctx.provider, ctx.base_url, ctx.api_key_env) == (
        "acme",
        "http://127.0.0.1:1/v1",
        "ACME_API_KEY",
    )
    assert ctx.api_key is not None
    assert ctx.api_key.reveal() == "k"
    assert (ctx.timeout, ctx.clock(), ctx.http) == (5.0, 42.0, http)
    assert (keyless.api_key, keyless.timeout) == (None, 0.5)
    assert abs(keyless.clock() - time.time()) < 60  # None: the real time


@pytest.mark.anyio
async def test_neoclone_with_points_the_plugin_at_the_server_with_keys_from_env_only(
    server: RecordingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_API_KEY", "from-the-real-environment")
    server.route("GET", "/v1/models", Reply(body={"data": [{"id": "m1"}]}))

    async with neoclone_with(AcmePlugin(), tmp_path / "a", base_url=server.url + "/v1") as bare:
        [skipped] = await bare.discover()
    env = {"ACME_API_KEY": "k"}
    async with neoclone_with(
        AcmePlugin(), tmp_path / "b", base_url=server.url + "/v1", env=env
    ) as neoclone:
        [scanned] = await neoclone.discover()
        listed = neoclone.models(provider="acme")

    assert skipped.status == ScanStatus.SKIPPED  # the real environment is never read
    assert scanned.status == ScanStatus.SCANNED
    assert [m.id for m in listed] == ["acme/m1"]
    [sent] = server.requests
    assert sent.headers["authorization"] == "Bearer k"
    assert sent.headers["user-agent"] == USER_AGENT  # neoclone's shared client names itself


@pytest.mark.anyio
async def test_neoclone_with_adds_the_default_policies_unless_told_not_to(
    tmp_path: Path,
) -> None:
    async with neoclone_with(AcmePlugin(), tmp_path / "a") as with_defaults:
        defaults = set(with_defaults.plugins.infos)
    async with neoclone_with(AcmePlugin(), tmp_path / "b", default_plugins=False) as alone:
        pass

    assert {"default-analyser", "default-scoring", "default-selection"} <= defaults
    assert [info.module for info in alone.plugins.infos.values()] == [__name__]
    assert set(alone.plugins.providers()) == {"acme"}


@pytest.mark.anyio
async def test_completion_chunks_stream_and_collect_text_keeps_what_came_before_a_failure(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    chunks = [completion_chunk("Hel"), completion_chunk("lo"), completion_chunk("", "stop")]
    server.route("POST", "/v1/chat/completions", Reply.sse(chunks, cut_after_events=2))
    ctx = provider_context(AcmeProvider(), server.url + "/v1", http)
    received: list[str] = []

    request = ChatRequest.from_prompt("hi")

    with pytest.raises(StreamInterruptedError, match="connection lost"):
        await collect_text(stream_chat_completion(ctx, ModelInfo("acme", "m1"), request), received)

    assert received == ["Hel", "lo"]
    assert completion_chunk("x", "stop", usage={"total_tokens": 1}) == {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "stop"}],
        "usage": {"total_tokens": 1},
    }
