"""Ollama chat and streaming against recorded `/api/chat` answers on 127.0.0.1.

The two chat bodies are the documented examples of Ollama's `docs/api.md` (plain and
with a tool call). No streamed answer was recorded: the NDJSON stream in
`fixtures/synthetic/` is SYNTHETIC, written from the documented streaming shape (one
object per line, `"done": false` until a last object with `"done": true` and counts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from neoclone_provider_ollama import OllamaProvider

from neoclone_core import ChatRequest, ModelInfo, ProviderContext, errors
from neoclone_core.testing import RecordingServer, Reply, provider_context
from neoclone_core.testing.helpers import ProviderUnderTest, closed_port_url

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
CHAT_FILE = FIXTURES / "ollama-chat-docs-example.json"
TOOLS_FILE = FIXTURES / "ollama-chat-tools-docs-example.json"
STREAM_FILE = FIXTURES / "synthetic" / "ollama-chat-stream-docs-shape.ndjson"
MODEL = ModelInfo("ollama", "llama3.2", free=True)
REQUEST = ChatRequest.from_prompt("Why is the sky blue?", max_tokens=64, temperature=0.2)
NDJSON = {"Content-Type": "application/x-ndjson"}


OLLAMA = ProviderUnderTest(OllamaProvider, now=0.0)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return OLLAMA.context(server, http)


def ndjson(*events: dict[str, Any]) -> Reply:
    return Reply(body="".join(json.dumps(e) + "\n" for e in events).encode(), headers=NDJSON)


def piece(content: str) -> dict[str, Any]:
    return {
        "model": "llama3.2",
        "message": {"role": "assistant", "content": content},
        "done": False,
    }


async def streamed(ctx: ProviderContext, request: ChatRequest = REQUEST) -> list[Any]:
    return [c async for c in OllamaProvider().stream(ctx, MODEL, request)]


# -- chat ---------------------------------------------------------------------------------


async def test_the_recorded_chat_answer_round_trips(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/api/chat", Reply.json_file(CHAT_FILE))
    recorded = json.loads(CHAT_FILE.read_bytes())

    response = await OllamaProvider().chat(ctx, MODEL, REQUEST)

    assert response.content == recorded["message"]["content"] == "Hello! How are you today?"
    assert response.model_id == "ollama/llama3.2"
    assert response.finish_reason == "stop"  # done: true, no done_reason in this example
    assert response.usage.prompt_tokens == recorded["prompt_eval_count"] == 26
    assert response.usage.completion_tokens == recorded["eval_count"] == 298
    sent = server.requests[-1].json()
    assert sent == {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "Why is the sky blue?"}],
        "stream": False,
        "options": {"num_predict": 64, "temperature": 0.2},
    }


async def test_the_recorded_tool_call_comes_back_in_openais_shape(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/api/chat", Reply.json_file(TOOLS_FILE))
    recorded = json.loads(TOOLS_FILE.read_bytes())["message"]["tool_calls"][0]["function"]

    response = await OllamaProvider().chat(ctx, MODEL, REQUEST)

    [call] = response.tool_calls
    assert call["type"] == "function"
    assert call["id"] == "call_0"
    assert call["function"]["name"] == recorded["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == recorded["arguments"] == {"city": "Tokyo"}
    assert response.finish_reason == "tool_calls"
    assert response.content == ""


async def test_openai_requests_are_translated_to_ollamas_shape(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/api/chat", Reply.json_file(CHAT_FILE))
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    request = ChatRequest(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Tokyo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "11 degrees"},
        ],
        params={"tools": tools, "stop": "\n\n", "top_p": 0.9, "keep_alive": "10m"},
    )

    await OllamaProvider().chat(ctx, MODEL, request)

    sent = server.requests[-1].json()
    user, assistant, tool = sent["messages"]
    assert user == {"role": "user", "content": "What is this?", "images": ["iVBORw0K"]}
    assert assistant["tool_calls"] == [
        {"function": {"name": "get_weather", "arguments": {"city": "Tokyo"}}}
    ]
    assert assistant["content"] == ""
    assert tool == {"role": "tool", "tool_call_id": "call_1", "content": "11 degrees"}
    assert sent["tools"] == tools
    assert sent["keep_alive"] == "10m"
    assert sent["options"] == {"stop": ["\n\n"], "top_p": 0.9}


@pytest.mark.parametrize(
    "name", ["ollama-404-model-not-found.json", "ollama-openai-compat-404.json"]
)
async def test_an_unpulled_model_is_model_not_found(
    server: RecordingServer, ctx: ProviderContext, name: str
) -> None:
    """The native API's 404 body, and the OpenAI-compatible one (what a proxy that
    forwards to Ollama's `/v1` answers with): both read as ModelNotFoundError."""
    server.route("POST", "/api/chat", Reply.json_file(FIXTURES / name, 404))

    with pytest.raises(errors.ModelNotFoundError, match='model "llama9" not found') as caught:
        await OllamaProvider().chat(ctx, ModelInfo("ollama", "llama9"), REQUEST)

    assert caught.value.status == 404
    assert caught.value.provider == "ollama"


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply(body=b"<html><title>502 Bad Gateway</title></html>"), "not JSON"),
        (Reply(body={"model": "llama3.2", "done": True}), "no 'message'"),
        (
            Reply(body={"error": "an error was encountered while running the model"}),
            "carrying an error",
        ),
    ],
    ids=["html", "no-message", "error-in-200"],
)
async def test_a_garbage_chat_answer_is_malformed(
    server: RecordingServer, ctx: ProviderContext, reply: Reply, why: str
) -> None:
    server.route("POST", "/api/chat", reply)

    with pytest.raises(errors.MalformedResponseError, match=why):
        await OllamaProvider().chat(ctx, MODEL, REQUEST)


async def test_chat_without_ollama_running_says_so(http: httpx.AsyncClient) -> None:
    url = closed_port_url()

    with pytest.raises(errors.ProviderUnreachableError, match=f"Ollama is not running at {url}"):
        await OllamaProvider().chat(provider_context(OllamaProvider(), url, http), MODEL, REQUEST)


async def test_a_chat_that_never_answers_is_a_timeout(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("POST", "/api/chat", Reply(body={}, delay_s=2.0))

    with pytest.raises(errors.ProviderTimeoutError):
        await OllamaProvider().chat(OLLAMA.context(server, http, timeout=0.2), MODEL, REQUEST)


# -- streaming ------------------------------------------------------------------------------


async def test_the_documented_stream_shape_round_trips(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/api/chat", Reply(body=STREAM_FILE.read_bytes(), headers=NDJSON))

    chunks = await streamed(ctx)

    assert [c.content for c in chunks] == ["The", " sky", " is", " blue.", ""]
    assert [c.finish_reason for c in chunks] == [None, None, None, None, "stop"]
    assert server.requests[-1].json()["stream"] is True


async def test_streamed_tool_calls_arrive_as_openai_deltas_numbered_across_the_stream(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    # The recorded tool-call answer, streamed as Ollama streams one: the call in a line
    # of its own ("done": false), then a second call, then the closing line.
    recorded = json.loads(TOOLS_FILE.read_text())
    call_line = {**recorded, "done": False}
    del call_line["done_reason"]
    closing = {"model": "llama3.2", "message": {"role": "assistant", "content": ""}}
    closing.update(done=True, done_reason="stop")
    server.route("POST", "/api/chat", ndjson(call_line, call_line, closing))

    chunks = await streamed(ctx)

    deltas = [call for chunk in chunks for call in chunk.tool_calls]
    assert [(d["index"], d["id"], d["type"]) for d in deltas] == [
        (0, "call_0", "function"),
        (1, "call_1", "function"),
    ]
    assert {d["function"]["name"] for d in deltas} == {"get_weather"}
    assert json.loads(deltas[0]["function"]["arguments"]) == {"city": "Tokyo"}
    assert chunks[-1].finish_reason == "tool_calls"  # though the closing line has no call


async def test_line_separators_inside_json_text_do_not_split_a_line(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    text = "a\u2028b\u0085c"  # Go's encoder may leave U+0085 unescaped
    body = json.dumps(piece(text), ensure_ascii=False) + "\n" + json.dumps({"done": True}) + "\n"
    server.route("POST", "/api/chat", Reply(body=body.encode(), headers=NDJSON))

    chunks = await streamed(ctx)

    assert chunks[0].content == text


async def test_a_stream_that_ends_before_done_is_interrupted(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/api/chat", ndjson(piece("The"), piece(" sky")))

    with pytest.raises(errors.StreamInterruptedError, match="before Ollama said it was done"):
        await streamed(ctx)


async def test_an_error_line_after_text_interrupts_the_stream(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/api/chat", ndjson(piece("The"), {"error": "out of memory"}))

    with pytest.raises(errors.StreamInterruptedError, match="out of memory"):
        await streamed(ctx)


async def test_an_error_line_before_any_text_is_a_plain_failure(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/api/chat", ndjson({"error": "model failed to load"}))

    with pytest.raises(errors.ProviderUnavailableError, match="model failed to load") as caught:
        await streamed(ctx)

    assert not isinstance(caught.value, errors.StreamInterruptedError)


async def test_a_stream_of_an_unpulled_model_is_model_not_found(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route(
        "POST", "/api/chat", Reply.json_file(FIXTURES / "ollama-404-model-not-found.json", 404)
    )

    with pytest.raises(errors.ModelNotFoundError):
        await streamed(ctx)


async def test_a_web_page_instead_of_a_stream_is_malformed(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/api/chat", Reply(body=b"<html>\n<title>Login</title>\n</html>"))

    with pytest.raises(errors.MalformedResponseError, match="unreadable line"):
        await streamed(ctx)


async def test_a_stream_that_never_starts_is_a_timeout(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route(
        "POST", "/api/chat", Reply(body=STREAM_FILE.read_bytes(), headers=NDJSON, delay_s=2.0)
    )

    with pytest.raises(errors.ProviderTimeoutError):
        await streamed(OLLAMA.context(server, http, timeout=0.2))
