"""OpenAI's Responses API as its users meet it: `neoclone serve` in a real process, the
OpenRouter plugin pointed at a recording/fault server, and the official `openai` library's
`client.responses` as the client, plain, streamed and calling functions, with fallback.

The shapes checked are the library's own types (`openai.types.responses.Response`,
`ResponseStreamEvent`): the library parses every answer into them, and its stream
helper (`client.responses.stream`) checks the order and identity of every event.
One gateway serves the module; each test scripts models of its own.
"""

from __future__ import annotations

import json

import openai
import pytest
from neoclone_gateway.testing import (
    Upstream,
    called,
    calling,
    failure,
    model_id,
    tokens,
)
from openai.types.responses import FunctionToolParam, ResponseFunctionToolCall

pytestmark = pytest.mark.slow
WEATHER: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": False,
}


def test_a_response_is_answered_and_names_the_model_that_served(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("alpha")
    raw = client.responses.with_raw_response.create(
        model=model_id("alpha"), instructions="Be brief.", input="hello", max_output_tokens=64
    )
    response = raw.parse()
    assert response.model == model_id("alpha") and response.status == "completed"
    assert response.output_text == "answer from alpha"
    assert response.id.startswith("resp_") and response.output[0].type == "message"
    assert raw.headers["x-neoclone-route"] == f"{model_id('alpha')} ok"
    sent = upstream.requests("alpha")[-1].json()
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello"},
    ]
    assert sent["max_tokens"] == 64


def test_a_failing_first_model_falls_back_and_the_route_says_so(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("sigma", failure(503, "the primary is down"))
    upstream.script("qwen-coder")
    raw = client.responses.with_raw_response.create(model="pair", input="hello")
    response = raw.parse()
    assert response.model == model_id("qwen-coder")
    assert response.output_text == "answer from qwen-coder"
    assert upstream.calls("sigma") == 1 and upstream.calls("qwen-coder") == 1
    assert raw.headers["x-neoclone-fallbacks"] == "1"


def test_a_stream_is_the_responses_event_sequence(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("beta", tokens("The ", "quick ", "fox"))
    events = list(client.responses.create(model=model_id("beta"), input="hello", stream=True))
    assert [event.type for event in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == "The quick fox"
    assert completed.response.model == model_id("beta")


def test_the_librarys_stream_helper_assembles_the_response_after_a_fallback(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("gamma", failure(500, "down"))
    upstream.script("delta", tokens("Hel", "lo"))
    with client.responses.stream(
        model=model_id("gamma"),
        input=[{"role": "user", "content": [{"type": "input_text", "text": "hello"}]}],
        extra_body={"models": [model_id("delta")]},
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        response = stream.get_final_response()
    assert deltas == ["Hel", "lo"]
    assert response.output_text == "Hello" and response.model == model_id("delta")
    assert upstream.calls("gamma") == 1 and upstream.calls("delta") == 1


def test_a_function_call_comes_back_as_an_item_and_its_output_goes_up(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("epsilon", called("get_weather", '{"city": "Tokyo"}', call_id="call_7"))
    response = client.responses.create(model=model_id("epsilon"), input="hello", tools=[WEATHER])
    (call,) = response.output
    assert isinstance(call, ResponseFunctionToolCall)
    assert (call.call_id, call.name, json.loads(call.arguments)) == (
        "call_7",
        "get_weather",
        {"city": "Tokyo"},
    )
    assert upstream.requests("epsilon")[-1].json()["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city",
                "parameters": WEATHER["parameters"],
                "strict": False,
            },
        }
    ]

    upstream.script("epsilon")
    follow_up = client.responses.create(
        model=model_id("epsilon"),
        tools=[WEATHER],
        input=[
            {"role": "user", "content": "hello"},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21 C"},
        ],
    )
    assert follow_up.output_text == "answer from epsilon"
    sent = upstream.requests("epsilon")[-1].json()["messages"]
    assert sent[1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_7",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Tokyo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_7", "content": "sunny, 21 C"},
    ]


def test_a_streamed_function_call_arrives_as_argument_deltas(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("zeta", calling("get_weather", '{"city": ', '"Oslo"}'))
    with client.responses.stream(model=model_id("zeta"), input="hello", tools=[WEATHER]) as stream:
        events = list(stream)
        response = stream.get_final_response()
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert deltas == ['{"city": ', '"Oslo"}']
    (call,) = response.output
    assert isinstance(call, ResponseFunctionToolCall)
    assert (call.name, json.loads(call.arguments)) == ("get_weather", {"city": "Oslo"})


@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("previous_response_id", {"previous_response_id": "resp_123"}),
        ("tools", {"tools": [{"type": "web_search"}]}),
        ("input", {"input": [{"type": "item_reference", "id": "msg_1"}]}),
    ],
)
def test_what_the_gateway_cannot_serve_is_a_bad_request_naming_the_field(
    client: openai.OpenAI, upstream: Upstream, field: str, extra: dict[str, object]
) -> None:
    upstream.script("eta")
    body = {"model": model_id("eta"), "input": "hello", **extra}
    with pytest.raises(openai.BadRequestError) as refused:
        client.post("/responses", cast_to=object, body=body)
    assert refused.value.param == field
    assert upstream.calls("eta") == 0


def test_a_stream_broken_after_its_first_token_ends_with_response_failed(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("iota", tokens("partial ", "answer", "never", cut_after_events=2))
    events = list(client.responses.create(model=model_id("iota"), input="hello", stream=True))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["partial ", "answer"]
    failed = events[-1]
    assert failed.type == "response.failed"
    assert failed.response.status == "failed" and failed.response.error is not None
    assert failed.response.error.type == "stream_interrupted"


def test_every_model_failing_is_a_503_listing_the_attempts(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("theta", failure(404, "no such model"))
    with pytest.raises(openai.InternalServerError) as caught:
        client.responses.create(model=model_id("theta"), input="hello")
    body = caught.value.body
    assert isinstance(body, dict)
    assert [a["error_kind"] for a in body["attempts"]] == ["model_not_found"]
