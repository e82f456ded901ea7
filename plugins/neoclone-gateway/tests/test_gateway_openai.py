"""The gateway as its users meet it: `neoclone serve` in a real process on loopback, the
OpenRouter plugin pointed at a recording/fault server, and the official `openai`
library (sync and async, streaming and not) as the client.

One gateway serves the whole module; each test scripts models of its own, so the
breakers and cooldowns one test causes never meet another test.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from neoclone_gateway.testing import (
    GATEWAY_KEY,
    PLANTED_KEY,
    GatewayProcess,
    Upstream,
    failure,
    gateway_process,
    metric,
    model_id,
    scrape,
    tokens,
    write_config,
)

from neoclone_core.testing import Reply, completion_chunk

pytestmark = pytest.mark.slow
HELLO = [{"role": "user", "content": "hello"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
SEEN: list[str] = []  # every response body and header the tests received, checked last


@pytest.fixture
def async_client(gateway: GatewayProcess) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key="unused", max_retries=0)


def test_a_request_succeeds_and_names_the_model_that_served(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("alpha")
    raw = client.chat.completions.with_raw_response.create(model=model_id("alpha"), messages=HELLO)
    completion = raw.parse()
    assert completion.model == model_id("alpha")
    assert completion.choices[0].message.content == "answer from alpha"
    assert raw.headers["x-neoclone-route"] == f"{model_id('alpha')} ok"
    assert float(raw.headers["x-neoclone-overhead-ms"]) >= 0


def test_the_model_list_is_read_by_the_library(client: openai.OpenAI) -> None:
    ids = [model.id for model in client.models.list()]
    assert "neoclone/auto" in ids and "pair" in ids and model_id("alpha") in ids
    assert client.models.retrieve(model_id("beta")).owned_by == "openrouter"


def test_a_session_given_at_start_is_a_model_name(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("sigma", failure(503, "busy"))
    completion = client.chat.completions.create(model="pair", messages=HELLO)
    assert completion.model == model_id("qwen-coder")


@pytest.mark.anyio
async def test_a_failing_primary_falls_back(
    async_client: openai.AsyncOpenAI, upstream: Upstream
) -> None:
    upstream.script("gamma", failure(500, "the primary is down"))
    upstream.script("delta")
    async with async_client:
        completion = await async_client.chat.completions.create(
            model=model_id("gamma"), messages=HELLO, extra_body={"models": [model_id("delta")]}
        )
    assert completion.model == model_id("delta")
    assert completion.choices[0].message.content == "answer from delta"
    assert upstream.calls("gamma") >= 1


def test_a_stream_arrives_token_by_token(client: openai.OpenAI, upstream: Upstream) -> None:
    upstream.script("epsilon", tokens("The ", "quick ", "brown ", "fox"))
    stream = client.chat.completions.create(model=model_id("epsilon"), messages=HELLO, stream=True)
    chunks = list(stream)
    assert [c.choices[0].delta.content for c in chunks] == [
        "",
        "The ",
        "quick ",
        "brown ",
        "fox",
        None,
    ]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {c.model for c in chunks} == {model_id("epsilon")}


def test_a_streamed_tool_call_reaches_the_library_piece_by_piece(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    # OpenAI's documented stream shape for a tool call: the first piece names the call,
    # the next ones carry its arguments, the last chunk says why the model stopped.
    def piece(**call: Any) -> dict[str, Any]:
        chunk = completion_chunk("")
        chunk["choices"][0]["delta"] = {"tool_calls": [{"index": 0, **call}]}
        return chunk

    upstream.script(
        "theta",
        Reply.sse(
            [
                piece(id="call_1", type="function", function={"name": "get_weather"}),
                piece(function={"arguments": '{"city": '}),
                piece(function={"arguments": '"Tokyo"}'}),
                completion_chunk("", "tool_calls"),
            ]
        ),
    )
    stream = client.chat.completions.create(
        model=model_id("theta"), messages=HELLO, stream=True, tools=[WEATHER_TOOL]
    )
    chunks = list(stream)
    calls = [call for c in chunks for call in c.choices[0].delta.tool_calls or ()]
    assert [call.id for call in calls if call.id] == ["call_1"]
    assert [call.function.name for call in calls if call.function.name] == ["get_weather"]
    arguments = "".join(call.function.arguments or "" for call in calls)
    assert json.loads(arguments) == {"city": "Tokyo"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert upstream.server.requests[-1].json()["tools"] == [WEATHER_TOOL]


def test_tokens_reach_the_client_while_the_upstream_is_still_sending(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    # The upstream sends two tokens, then nothing until the test ends: whatever the
    # client reads meanwhile was forwarded as it came, not buffered to the end.
    upstream.script("zeta", tokens("first ", "second ", "never sent", stall_after_events=2))
    with client.chat.completions.create(
        model=model_id("zeta"), messages=HELLO, stream=True
    ) as stream:
        received = [next(stream).choices[0].delta.content for _ in range(3)]
    assert received == ["", "first ", "second "]
    after = client.chat.completions.create(model=model_id("eta"), messages=HELLO)
    assert after.model == model_id("eta")  # the abandoned stream freed its place


@pytest.mark.anyio
async def test_an_async_stream_arrives_token_by_token(
    async_client: openai.AsyncOpenAI, upstream: Upstream
) -> None:
    upstream.script("theta", failure(503, "busy"))
    upstream.script("iota", tokens("a", "b", "c"))
    async with async_client:
        stream = await async_client.chat.completions.create(
            model=model_id("theta"),
            messages=HELLO,
            stream=True,
            extra_body={"models": [model_id("iota")]},
        )
        pieces = [chunk.choices[0].delta.content async for chunk in stream]
    assert pieces == ["", "a", "b", "c", None]


def test_an_unknown_model_is_the_librarys_not_found_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="openrouter/vendor/nothing:free", messages=HELLO)
    assert caught.value.code == "model_not_found"


def test_every_model_failing_is_a_503_internal_server_error_listing_the_attempts(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    # (no 401 here: it would bench the whole provider for every later test)
    upstream.script("kappa", failure(404, f"no such model for key {PLANTED_KEY}"))
    upstream.script("lambda", failure(429, "slow down"))
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(
            model=model_id("kappa"), messages=HELLO, extra_body={"models": [model_id("lambda")]}
        )
    assert caught.value.status_code == 503
    body = caught.value.body
    assert isinstance(body, dict)
    assert [a["error_kind"] for a in body["attempts"]] == ["model_not_found", "rate_limited"]
    SEEN.append(caught.value.response.text)
    assert PLANTED_KEY not in caught.value.response.text


def test_every_model_rate_limited_is_a_rate_limit_error_with_retry_after(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("mu", failure(429, "slow down", {"Retry-After": "40"}))
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=model_id("mu"), messages=HELLO)
    assert 39 <= int(caught.value.response.headers["retry-after"]) <= 40


def test_a_forbidden_field_is_a_bad_request_error(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("nu")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=model_id("nu"), messages=HELLO, extra_body={"base_url": "http://127.0.0.1:9"}
        )
    assert caught.value.param == "base_url"
    assert upstream.calls("nu") == 0


def test_a_stream_broken_after_its_first_token_raises_the_librarys_api_error(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("xi", tokens("partial ", "answer", f"key {PLANTED_KEY}", cut_after_events=2))
    received = []
    stream = client.chat.completions.create(model=model_id("xi"), messages=HELLO, stream=True)
    with pytest.raises(openai.APIError) as caught:
        received.extend(chunk.choices[0].delta.content for chunk in stream)
    assert received == ["", "partial ", "answer"]
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "stream_interrupted"


def test_zz_the_planted_key_is_in_no_response_log_or_metric(
    gateway: GatewayProcess, client: openai.OpenAI, upstream: Upstream
) -> None:
    """Runs last in the module: the tests above made the upstream echo the key."""
    upstream.script("omicron", failure(404, f"echo: Authorization: Bearer {PLANTED_KEY}"))
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=model_id("omicron"), messages=HELLO)
    SEEN.append(caught.value.response.text)
    metrics = scrape(gateway.url)
    assert metric(metrics, "neoclone_errors_total", provider="openrouter", kind="unavailable")
    assert all(
        request.headers["authorization"] == f"Bearer {PLANTED_KEY}"
        for request in upstream.requests("omicron")
    )
    listing = httpx.get(f"{gateway.url}/v1/models").text
    assert "neoclone.attempt_failed" in gateway.logs  # -v: failures were logged
    for text in (*SEEN, metrics, listing, gateway.logs):
        assert PLANTED_KEY not in text


def test_the_logs_of_a_stopped_gateway_hold_no_key(tmp_path: Path, upstream: Upstream) -> None:
    upstream.script("pi", failure(500, f"your key is {PLANTED_KEY}"))
    with gateway_process(tmp_path, upstream) as running:
        response = httpx.post(
            f"{running.url}/v1/chat/completions", json={"model": model_id("pi"), "messages": HELLO}
        )
        assert response.status_code == 503
    assert "neoclone.attempt_failed" in running.logs  # -v: the gateway did log the failure
    assert "POST /v1/chat/completions" in running.logs  # and the access log ran
    assert PLANTED_KEY not in running.logs and PLANTED_KEY not in response.text


# -- a gateway that requires a key ------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed_gateway(
    tmp_path_factory: pytest.TempPathFactory, upstream: Upstream
) -> Iterator[GatewayProcess]:
    directory = tmp_path_factory.mktemp("keyed")
    env = {"NEOCLONE_GATEWAY_KEY": GATEWAY_KEY}
    with GatewayProcess(write_config(directory, upstream), env=env) as running:
        yield running


def test_a_keyed_gateway_serves_the_right_key_and_refuses_others(
    keyed_gateway: GatewayProcess, upstream: Upstream
) -> None:
    upstream.script("rho")
    base = f"{keyed_gateway.url}/v1"
    with openai.OpenAI(base_url=base, api_key=GATEWAY_KEY, max_retries=0) as right:
        assert right.chat.completions.create(
            model=model_id("rho"), messages=HELLO
        ).model == model_id("rho")
    wrong = openai.OpenAI(base_url=base, api_key="a-wrong-key-of-some-length", max_retries=0)
    with wrong, pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    assert upstream.requests("rho")[-1].headers["authorization"] == f"Bearer {PLANTED_KEY}"
    assert GATEWAY_KEY not in keyed_gateway.logs


# -- starts that are refused ----------------------------------------------------------------


def test_listening_beyond_loopback_without_a_key_is_refused(
    tmp_path: Path, upstream: Upstream
) -> None:
    result = GatewayProcess(write_config(tmp_path, upstream)).run("--host", "0.0.0.0")
    assert result.returncode == 2
    assert "NEOCLONE_GATEWAY_KEY" in result.stderr and "Traceback" not in result.stderr


def test_a_key_too_short_to_guard_a_network_service_is_refused(
    tmp_path: Path, upstream: Upstream
) -> None:
    process = GatewayProcess(
        write_config(tmp_path, upstream), env={"NEOCLONE_GATEWAY_KEY": "short"}
    )
    result = process.run()
    assert result.returncode == 2
    assert "too short" in result.stderr and "short\n" not in result.stderr


@pytest.mark.slow
def test_a_plain_request_whose_client_leaves_is_cancelled_not_timed_out_nor_backed_up(
    tmp_path: Path, upstream: Upstream
) -> None:
    """Issue 16, defect 5: a non-streaming client that disconnected left its upstream call
    running to its timeout, which counted against the model, then the backup was called
    and served to nobody. Now the call is cancelled: neither a failure nor a fallback."""
    upstream.script("gamma", Reply(delay_s=60, body={}))  # never answers in time
    upstream.script("delta")
    config = write_config(tmp_path / "gateway", upstream)
    config.write_text(f"request_timeout = 1\n{config.read_text()}")
    plan = {"model": model_id("gamma"), "models": [model_id("delta")], "messages": HELLO}
    body = json.dumps(plan).encode()
    with GatewayProcess(config) as running:
        host, port = running.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as client:
            client.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            assert upstream.arrival("gamma").wait(10)
        time.sleep(2.5)  # past the 1 s timeout that used to end the call, then the backup
        metrics = scrape(running.url)
    assert upstream.calls("delta") == 0  # no backup called for nobody
    assert metric(metrics, "neoclone_errors_total", provider="openrouter", kind="timeout") is None
    assert metric(metrics, "neoclone_fallbacks_total", from_model=model_id("gamma")) is None


@pytest.mark.slow
def test_sigterm_stops_the_gateway_gracefully_with_its_statistics_written(
    tmp_path: Path, upstream: Upstream
) -> None:
    """Issue 16, defect 6: SIGTERM, what every process manager sends, used to exit 143
    with the statistics buffer unwritten; it is a graceful stop (exit 0)."""
    upstream.script("alpha")
    with gateway_process(tmp_path / "gateway", upstream) as running:
        with openai.OpenAI(base_url=f"{running.url}/v1", api_key="unused", max_retries=0) as c:
            c.chat.completions.create(model=model_id("alpha"), messages=HELLO)
        exit_code = running.stop()  # SIGTERM; the buffered statistics hold the request
        stats = subprocess.run(
            [sys.executable, "-m", "neoclone_core", "stats", "--json"],
            capture_output=True, text=True, env=running.env, cwd=tmp_path / "gateway",
            check=True,
        )  # fmt: skip
    assert exit_code == 0, running.logs
    assert json.loads(stats.stdout)["models"][model_id("alpha")]["successes"] == 1
