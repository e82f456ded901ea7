"""The translations of Anthropic's Messages and OpenAI's Responses requests into chat
messages, field by field, and the guard's answers on their paths, in process.

Request shapes follow the official libraries' parameter types
(`anthropic.types.MessageCreateParams`, `openai.types.responses.ResponseCreateParams`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from neoclone_gateway import GatewayOptions, create_app
from neoclone_gateway._anthropic import claude_to_auto, parse_messages
from neoclone_gateway._anthropic_stream import MessageEvents
from neoclone_gateway._errors import GatewayError
from neoclone_gateway._responses import parse_responses
from neoclone_gateway.testing import GATEWAY_KEY, Upstream, model_id, open_neoclone

from neoclone_core import ChatChunk, Secret
from neoclone_core.testing import RecordingServer


def anthropic_body(**fields: Any) -> bytes:
    body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    return json.dumps({**body, **fields}).encode()


def responses_body(**fields: Any) -> bytes:
    return json.dumps({"model": "m", "input": "hi", **fields}).encode()


# -- Anthropic's Messages ---------------------------------------------------------------------


def test_system_blocks_become_one_system_message_and_thinking_is_dropped() -> None:
    system = [{"type": "text", "text": "You are terse."}, {"type": "text", "text": "No lists."}]
    messages = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "x"},
                {"type": "text", "text": "hello"},
            ],
        },
        {"role": "user", "content": [{"type": "text", "text": "more", "cache_control": {}}]},
    ]
    request = parse_messages(anthropic_body(system=system, messages=messages)).body.request
    assert list(request.messages) == [
        {"role": "system", "content": "You are terse.\n\nNo lists."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": [{"type": "text", "text": "more"}]},
    ]


def test_a_tool_result_with_an_image_becomes_a_tool_message_then_the_image() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}}
    result = {
        "type": "tool_result",
        "tool_use_id": "t1",
        "content": [{"type": "text", "text": "a screenshot"}, image],
    }
    messages = [{"role": "user", "content": [result, {"type": "text", "text": "what is it?"}]}]
    request = parse_messages(anthropic_body(messages=messages)).body.request
    assert list(request.messages) == [
        {"role": "tool", "tool_call_id": "t1", "content": "a screenshot"},
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}},
                {"type": "text", "text": "what is it?"},
            ],
        },
    ]


def test_tool_choice_stop_sequences_and_sampling_map_to_openais_names() -> None:
    tools = [{"name": "f", "input_schema": {"type": "object"}}]
    choice = {"type": "any", "disable_parallel_tool_use": True}
    body = anthropic_body(
        tools=tools, tool_choice=choice, stop_sequences=["END"], top_p=0.5, top_k=40,
        temperature=0.2, metadata={"user_id": "u"}, thinking={"type": "disabled"},
    )  # fmt: skip
    request = parse_messages(body).body.request
    assert request.params == {
        "top_p": 0.5,
        "top_k": 40,
        "stop": ["END"],
        "tools": [
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        ],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    }
    assert (request.temperature, request.max_tokens) == (0.2, 10)


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"max_tokens": None}, "max_tokens"),
        ({"tools": [{"type": "bash_20250124", "name": "bash"}]}, "tools"),
        ({"messages": [{"role": "user", "content": [{"type": "document"}]}]}, "messages"),
        ({"messages": [{"role": "system", "content": "x"}]}, "messages"),
        ({"mcp_servers": [{"url": "https://example.com"}]}, "mcp_servers"),
        ({"system": 3}, "system"),
        ({"api_base": "http://127.0.0.1:9"}, "api_base"),
        ({"tool_choice": {"type": "sometimes"}, "tools": [{"name": "f", "input_schema": {}}]},
         "tool_choice"),
    ],
)  # fmt: skip
def test_what_messages_cannot_translate_is_a_400_naming_the_field(
    fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(GatewayError) as refused:
        parse_messages(anthropic_body(**fields))
    assert (refused.value.status, refused.value.param) == (400, param)


def test_interleaved_text_and_tool_calls_open_and_close_blocks_in_order() -> None:
    events = MessageEvents("msg_1", "m")
    pieces = [
        ChatChunk(content="Let me look."),
        ChatChunk(tool_calls=({"index": 0, "id": "c1", "function": {"name": "f"}},)),
        ChatChunk(tool_calls=({"index": 0, "function": {"arguments": '{"a":1}'}},)),
        ChatChunk(tool_calls=({"index": 1, "id": "c2", "function": {"name": "g"}},)),
        ChatChunk(finish_reason="tool_calls"),
    ]
    wire = events.opening() + b"".join(events.chunk(p) for p in pieces) + events.closing()
    data = [
        json.loads(line[6:]) for line in wire.decode().splitlines() if line.startswith("data: ")
    ]
    shown = [(d["type"], d.get("index")) for d in data]
    assert shown == [
        ("message_start", None),
        ("content_block_start", 0),
        ("content_block_delta", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_delta", 1),
        ("content_block_stop", 1),
        ("content_block_start", 2),
        ("content_block_stop", 2),
        ("message_delta", None),
        ("message_stop", None),
    ]
    assert data[4]["content_block"] == {"type": "tool_use", "id": "c1", "name": "f", "input": {}}
    assert data[-2]["delta"]["stop_reason"] == "tool_use"


# -- OpenAI's Responses -------------------------------------------------------------------------


def test_input_items_become_chat_messages() -> None:
    items = [
        {"role": "developer", "content": "Answer in French."},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"},
        ]},
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Un chat."}]},
    ]  # fmt: skip
    request = parse_responses(responses_body(input=items, instructions="Be kind.")).body.request
    assert list(request.messages) == [
        {"role": "system", "content": "Be kind."},
        {"role": "developer", "content": "Answer in French."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/a.png", "detail": "low"},
                },
            ],
        },
        {"role": "assistant", "content": "Un chat."},
    ]


def test_text_format_tool_choice_and_reasoning_map_to_chat_parameters() -> None:
    fmt = {"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": True}
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object"}}]
    body = responses_body(
        text={"format": fmt}, tools=tools, tool_choice={"type": "function", "name": "f"},
        reasoning={"effort": "low"}, parallel_tool_calls=False, top_p=0.9, store=True,
    )  # fmt: skip
    params = parse_responses(body).body.request.params
    assert params == {
        "top_p": 0.9,
        "parallel_tool_calls": False,
        "tools": [
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        ],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
        },
        "reasoning_effort": "low",
    }


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"conversation": "conv_1"}, "conversation"),
        ({"background": True}, "background"),
        ({"input": []}, "input"),
        ({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
         "input"),
        ({"tools": [{"type": "file_search", "vector_store_ids": []}]}, "tools"),
        ({"text": {"format": {"type": "yaml"}}}, "text"),
        ({"max_output_tokens": 0}, "max_output_tokens"),
    ],
)  # fmt: skip
def test_what_responses_cannot_translate_is_a_400_naming_the_field(
    fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(GatewayError) as refused:
        parse_responses(responses_body(**fields))
    assert (refused.value.status, refused.value.param) == (400, param)


# -- the guard on these paths -------------------------------------------------------------------


@pytest.fixture
async def keyed_app(tmp_path: Path, server: RecordingServer) -> AsyncIterator[httpx.AsyncClient]:
    async with open_neoclone(tmp_path / "home", Upstream(server)) as neoclone:
        await neoclone.discover()
        app = create_app(neoclone, GatewayOptions(key=Secret(GATEWAY_KEY), max_body_bytes=2000))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client


@pytest.mark.anyio
async def test_the_guards_refusals_on_messages_have_anthropics_shape(
    keyed_app: httpx.AsyncClient,
) -> None:
    missing = await keyed_app.post("/v1/messages", json={})
    too_large = await keyed_app.post(
        "/v1/messages", content=b"{" + b" " * 3000 + b"}",
        headers={"x-api-key": GATEWAY_KEY, "content-type": "application/json"},
    )  # fmt: skip
    not_json = await keyed_app.post(
        "/v1/messages", content=b"hi", headers={"x-api-key": GATEWAY_KEY}
    )
    on_responses = await keyed_app.post("/v1/responses", json={})
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "authentication_error"
    assert "x-api-key" in missing.json()["error"]["message"]
    assert too_large.status_code == 413
    assert too_large.json()["error"]["type"] == "request_too_large"
    assert not_json.status_code == 415 and not_json.json()["type"] == "error"
    assert on_responses.json()["error"]["code"] == "missing_api_key"  # OpenAI's shape there


@pytest.mark.anyio
async def test_an_unknown_model_that_is_not_claude_is_not_found(
    keyed_app: httpx.AsyncClient,
) -> None:
    headers = {"x-api-key": GATEWAY_KEY, "anthropic-version": "2023-06-01"}
    body = {"model": "gpt-4o", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    response = await keyed_app.post("/v1/messages", json=body, headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


def test_a_function_outputs_images_follow_it_in_a_user_message() -> None:
    output = [
        {"type": "input_text", "text": "the chart:"},
        {"type": "input_image", "image_url": "data:image/png;base64,AA"},
    ]
    items = [{"type": "function_call_output", "call_id": "c1", "output": output}]
    request = parse_responses(responses_body(input=items)).body.request
    assert list(request.messages) == [
        {"role": "tool", "tool_call_id": "c1", "content": "the chart:"},
        {"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}},
        ]},
    ]  # fmt: skip


@pytest.mark.anyio
async def test_claude_names_run_the_automatic_plan_and_other_names_stay_as_they_are(
    tmp_path: Path, server: RecordingServer
) -> None:
    async with open_neoclone(tmp_path / "home", Upstream(server)) as neoclone:
        await neoclone.discover()
        renamed = [
            claude_to_auto(neoclone, name)
            for name in (
                "claude-sonnet-4-5",
                "anthropic/claude-3-5-haiku",
                "gpt-4o",
                model_id("alpha"),
                "neoclone/auto-code",
            )
        ]
    assert renamed == [
        "neoclone/auto",
        "neoclone/auto",
        "gpt-4o",
        model_id("alpha"),
        "neoclone/auto-code",
    ]


@pytest.mark.anyio
async def test_a_path_below_messages_is_a_404_in_anthropics_shape(
    keyed_app: httpx.AsyncClient,
) -> None:
    response = await keyed_app.post(
        "/v1/messages/count_tokens", json={}, headers={"x-api-key": GATEWAY_KEY}
    )
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


@pytest.mark.anyio
async def test_a_claude_code_style_request_is_served(keyed_app: httpx.AsyncClient) -> None:
    """What such a client sends beyond the basics: a query string, Anthropic's headers,
    system blocks and tools marked for caching, metadata, and a streamed answer."""
    headers = {
        "x-api-key": GATEWAY_KEY,
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
    }
    cached = {"type": "ephemeral"}
    body = {
        "model": "claude-sonnet-4-5-20250929",
        "max_tokens": 32000,
        "stream": True,
        "system": [{"type": "text", "text": "You are a coding agent.", "cache_control": cached}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "tools": [{"name": "Bash", "input_schema": {"type": "object"}, "cache_control": cached}],
        "metadata": {"user_id": "user_abc"},
    }
    response = await keyed_app.post("/v1/messages?beta=true", json=body, headers=headers)
    assert response.status_code == 200
    names = [line[7:] for line in response.text.splitlines() if line.startswith("event: ")]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    assert response.headers["x-neoclone-model"].startswith("openrouter/vendor/")
