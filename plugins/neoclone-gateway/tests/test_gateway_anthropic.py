"""Anthropic's Messages API as its users meet it: `neoclone serve` in a real process, the
OpenRouter plugin pointed at a recording/fault server, and the official `anthropic`
library as the client, plain, streamed and calling tools, with fallback.

The shapes checked are the library's own types (`anthropic.types.Message`,
`RawMessageStreamEvent`, `ToolUseBlock`): the library parses every answer into them.
One gateway serves the module; each test scripts models of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx
import pytest
from neoclone_gateway.testing import (
    GATEWAY_KEY,
    PLANTED_KEY,
    GatewayProcess,
    Upstream,
    called,
    calling,
    failure,
    model_id,
    tokens,
    write_config,
)

pytestmark = pytest.mark.slow
HELLO: list[anthropic.types.MessageParam] = [{"role": "user", "content": "hello"}]
WEATHER: anthropic.types.ToolParam = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@pytest.fixture
def client(gateway: GatewayProcess) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=gateway.url, api_key="unused", max_retries=0) as made:
        yield made


def test_a_message_is_answered_and_names_the_model_that_served(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    upstream.script("alpha")
    raw = client.messages.with_raw_response.create(
        model=model_id("alpha"), max_tokens=100, system="Be brief.", messages=HELLO
    )
    message = raw.parse()
    assert isinstance(message, anthropic.types.Message)
    assert message.model == model_id("alpha") and message.role == "assistant"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "answer from alpha"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn" and message.id.startswith("msg_")
    assert raw.headers["x-neoclone-route"] == f"{model_id('alpha')} ok"
    sent = upstream.requests("alpha")[-1].json()
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello"},
    ]
    assert sent["max_tokens"] == 100


def test_a_failing_first_model_falls_back_and_the_route_says_so(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    upstream.script("sigma", failure(503, "the primary is down"))
    upstream.script("qwen-coder")
    raw = client.messages.with_raw_response.create(model="pair", max_tokens=50, messages=HELLO)
    message = raw.parse()
    assert message.model == model_id("qwen-coder")
    assert upstream.calls("sigma") == 1 and upstream.calls("qwen-coder") == 1
    assert raw.headers["x-neoclone-fallbacks"] == "1"
    assert raw.headers["x-neoclone-route"] == (
        f"{model_id('sigma')} failed (unavailable), {model_id('qwen-coder')} ok"
    )


def test_a_stream_is_anthropics_event_sequence(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    upstream.script("beta", tokens("The ", "quick ", "fox"))
    stream = client.messages.create(
        model=model_id("beta"), max_tokens=50, messages=HELLO, stream=True
    )
    events = list(stream)
    assert [event.type for event in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[0].message.model == model_id("beta")  # type: ignore[union-attr]
    texts = [e.delta.text for e in events if e.type == "content_block_delta"]  # type: ignore[union-attr]
    assert texts == ["The ", "quick ", "fox"]
    assert events[-2].delta.stop_reason == "end_turn"  # type: ignore[union-attr]


def test_the_librarys_stream_helper_assembles_the_message_after_a_fallback(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    upstream.script("gamma", failure(500, "down"))
    upstream.script("delta", tokens("Hel", "lo"))
    with client.messages.stream(
        model=model_id("gamma"),
        max_tokens=50,
        messages=HELLO,
        extra_body={"models": [model_id("delta")]},
    ) as stream:
        pieces = list(stream.text_stream)
        message = stream.get_final_message()
        headers = stream.response.headers
    assert pieces == ["Hel", "lo"]
    assert message.content[0].text == "Hello"  # type: ignore[union-attr]
    assert message.model == model_id("delta")
    assert headers["x-neoclone-model"] == model_id("delta")
    assert upstream.calls("gamma") == 1 and upstream.calls("delta") == 1


def test_a_tool_call_comes_back_as_a_tool_use_block_and_its_result_goes_up(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    upstream.script("epsilon", called("get_weather", '{"city": "Tokyo"}', call_id="call_7"))
    message = client.messages.create(
        model=model_id("epsilon"), max_tokens=50, messages=HELLO, tools=[WEATHER]
    )
    assert message.stop_reason == "tool_use"
    (block,) = message.content
    assert isinstance(block, anthropic.types.ToolUseBlock)
    assert (block.id, block.name, block.input) == ("call_7", "get_weather", {"city": "Tokyo"})
    assert upstream.requests("epsilon")[-1].json()["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": WEATHER["input_schema"],
                "description": "The weather in a city",
            },
        }
    ]

    upstream.script("epsilon")
    result: anthropic.types.ToolResultBlockParam = {
        "type": "tool_result",
        "tool_use_id": block.id,
        "content": "sunny, 21 C",
    }
    follow_up = client.messages.create(
        model=model_id("epsilon"),
        max_tokens=50,
        tools=[WEATHER],
        messages=[
            *HELLO,
            {"role": "assistant", "content": message.content},
            {"role": "user", "content": [result]},
        ],
    )
    assert follow_up.content[0].text == "answer from epsilon"  # type: ignore[union-attr]
    sent = upstream.requests("epsilon")[-1].json()["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_7",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Tokyo"}'},
            }
        ],
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "call_7", "content": "sunny, 21 C"}


def test_a_streamed_tool_call_arrives_as_input_json_deltas(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    upstream.script("zeta", calling("get_weather", '{"city": ', '"Oslo"}'))
    with client.messages.stream(
        model=model_id("zeta"), max_tokens=50, messages=HELLO, tools=[WEATHER]
    ) as stream:
        events = list(stream)
        message = stream.get_final_message()
    deltas = [e.delta for e in events if e.type == "content_block_delta"]  # type: ignore[union-attr]
    assert [d.type for d in deltas] == ["input_json_delta", "input_json_delta"]
    (block,) = message.content
    assert isinstance(block, anthropic.types.ToolUseBlock)
    assert (block.name, block.input) == ("get_weather", {"city": "Oslo"})
    assert message.stop_reason == "tool_use"


def test_a_claude_model_name_runs_the_automatic_plan(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet-4-5", max_tokens=50, messages=HELLO
    )
    message = raw.parse()
    served = message.model
    assert served.startswith("openrouter/vendor/")
    assert message.content[0].text == f"answer from {served.split('/')[-1].removesuffix(':free')}"  # type: ignore[union-attr]
    assert raw.headers["x-neoclone-route"].endswith(f"{served} ok")


def test_errors_have_anthropics_shape_and_the_librarys_classes(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    with pytest.raises(anthropic.NotFoundError) as missing:
        client.messages.create(model="openrouter/vendor/nothing:free", max_tokens=5, messages=HELLO)
    body = missing.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.messages.create(
            model=model_id("eta"),
            max_tokens=5,
            messages=HELLO,
            tools=[{"type": "web_search_20250305", "name": "web_search"}],  # type: ignore[list-item]
        )
    assert refused.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert "tools[0].type" in refused.value.message
    assert upstream.calls("eta") == 0


def test_every_model_failing_is_an_api_error_listing_the_attempts(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    upstream.script("theta", failure(404, f"no such model for key {PLANTED_KEY}"))
    with pytest.raises(anthropic.InternalServerError) as caught:
        client.messages.create(model=model_id("theta"), max_tokens=5, messages=HELLO)
    assert caught.value.status_code == 503
    body = caught.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "api_error"
    assert [a["error_kind"] for a in body["error"]["attempts"]] == ["model_not_found"]
    assert PLANTED_KEY not in caught.value.response.text


def test_a_stream_broken_after_its_first_token_raises_in_the_library(
    client: anthropic.Anthropic, upstream: Upstream
) -> None:
    upstream.script("iota", tokens("partial ", "answer", "never", cut_after_events=2))
    received: list[str] = []
    stream = client.messages.stream(model=model_id("iota"), max_tokens=5, messages=HELLO)
    with pytest.raises(anthropic.APIStatusError) as caught, stream as opened:
        received.extend(opened.text_stream)
    assert received == ["partial ", "answer"]
    body = caught.value.body
    assert isinstance(body, dict) and body["error"]["code"] == "stream_interrupted"


def test_a_keyed_gateway_takes_its_key_as_x_api_key(
    tmp_path_factory: pytest.TempPathFactory, upstream: Upstream
) -> None:
    upstream.script("kappa")
    directory = tmp_path_factory.mktemp("keyed")
    env = {"NEOCLONE_GATEWAY_KEY": GATEWAY_KEY}
    with GatewayProcess(write_config(directory, upstream), env=env) as running:
        with anthropic.Anthropic(base_url=running.url, api_key=GATEWAY_KEY, max_retries=0) as c:
            message = c.messages.create(model=model_id("kappa"), max_tokens=5, messages=HELLO)
        wrong = anthropic.Anthropic(base_url=running.url, api_key="wrong-key-0123456789")
        with wrong, pytest.raises(anthropic.AuthenticationError) as refused:
            wrong.messages.create(model=model_id("kappa"), max_tokens=5, messages=HELLO)
        bare = httpx.post(
            f"{running.url}/v1/messages",
            json={"model": model_id("kappa"), "max_tokens": 5, "messages": HELLO},
        )
    assert message.model == model_id("kappa")
    assert refused.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    assert bare.status_code == 401 and json.loads(bare.text)["type"] == "error"
    assert upstream.requests("kappa")[-1].headers["authorization"] == f"Bearer {PLANTED_KEY}"
    assert GATEWAY_KEY not in running.logs
