"""The shared OpenAI-compatible client: requests, streams, and every failure mapped.

Every test talks real HTTP to `RecordingServer` on 127.0.0.1 through a real
`httpx.AsyncClient`, on asyncio and trio. Error bodies are the recorded ones in
tests/fixtures/errors/; the headers beside them are the providers' documented names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest

from neoclone_core import ChatChunk, ChatRequest, ModelInfo, ProviderContext, Secret
from neoclone_core.errors import (
    AuthenticationError,
    BadRequestError,
    ContextTooLongError,
    MalformedResponseError,
    ModelNotFoundError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    ProviderUnreachableError,
    RateLimitedError,
    StreamInterruptedError,
)
from neoclone_core.openai.compat import (
    chat_completion,
    content_text,
    error_from_response,
    get_json,
    parse_retry_after,
    post_json,
    stream_chat_completion,
)
from neoclone_core.openai.stream import NO_QUIRKS, StreamQuirks
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.helpers import free_port

pytestmark = pytest.mark.anyio

ERRORS = Path(__file__).parents[1] / "fixtures" / "errors"
CHAT = "/v1/chat/completions"
# One hour before the reset in the recorded OpenRouter 429 (1777420800000 ms).
NOW = 1_777_417_200.0
KEY = "sk-or-v1-" + "0123456789abcdef" * 4
MODEL = ModelInfo("acme", "vendor/model-1:free")
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=16, temperature=0.2)

# An OpenAI-shaped completion, as OpenAI's API reference documents it.
COMPLETION = {
    "id": "chatcmpl-123",
    "object": "chat.completion",
    "created": 1_747_000_000,
    "model": "vendor/model-1:free",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hi there!"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
}

# The same, answering with a tool call and no text (OpenAI's reference shape).
TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
TOOL_CALL_COMPLETION = {
    **COMPLETION,
    "choices": [
        {
            "message": {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
            "finish_reason": "tool_calls",
        }
    ],
}


def delta(content: str | None = None, finish_reason: str | None = None) -> dict[str, Any]:
    """One streamed chunk in OpenAI's shape."""
    body: dict[str, Any] = {"role": "assistant"} if content is None else {"content": content}
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": body, "finish_reason": finish_reason}],
    }


TOKENS = ["Hel", "lo", ", ", "world"]
STREAM = [delta(), *(delta(t) for t in TOKENS), delta("", "stop")]


def tool_delta(*calls: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    """A streamed chunk with tool-call pieces, in the shape OpenAI's API reference gives
    (`ChatCompletionChunk.choices[].delta.tool_calls[]`: index, then id, type, function)."""
    body = {"role": "assistant", "content": None, "tool_calls": list(calls)}
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": body, "finish_reason": finish_reason}],
    }


def call_piece(index: int, arguments: str, name: str | None = None) -> dict[str, Any]:
    """One piece of tool call `index`: its first piece names it, every one adds arguments."""
    if name is None:
        return {"index": index, "function": {"arguments": arguments}}
    function = {"name": name, "arguments": arguments}
    return {"index": index, "id": f"call_{name}", "type": "function", "function": function}


TOOL_STREAM = [
    tool_delta(call_piece(0, "", name="get_weather")),
    tool_delta(call_piece(0, '{"city": ')),
    tool_delta(call_piece(0, '"Tokyo"}'), call_piece(1, "{}", name="get_time")),
    delta(None, "tool_calls"),
]


def context(
    http: httpx.AsyncClient,
    base_url: str,
    *,
    key: str | None = None,
    timeout: float = 5.0,
) -> ProviderContext:
    return ProviderContext(
        provider="acme",
        base_url=base_url,
        api_key=Secret(key) if key else None,
        api_key_env="ACME_API_KEY",
        timeout=timeout,
        http=http,
        clock=lambda: NOW,
    )


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return context(http, server.url + "/v1", key=KEY)


async def collect(
    ctx: ProviderContext, chunks: list[ChatChunk] | None = None, quirks: StreamQuirks = NO_QUIRKS
) -> list[ChatChunk]:
    """Stream REQUEST into `chunks` (kept when the stream fails part way)."""
    chunks = [] if chunks is None else chunks
    async for chunk in stream_chat_completion(ctx, MODEL, REQUEST, quirks=quirks):
        chunks.append(chunk)
    return chunks


def error_body(name: str) -> bytes:
    return (ERRORS / name).read_bytes()


# -- requests --------------------------------------------------------------------------


async def test_chat_round_trip_sends_the_openai_body_and_parses_the_answer(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply(body=COMPLETION))

    response = await chat_completion(ctx, MODEL, REQUEST)

    assert response.model_id == "acme/vendor/model-1:free"
    assert response.content == "Hi there!"
    assert response.finish_reason == "stop"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (9, 3)
    assert response.tool_calls == ()
    assert server.requests[0].json() == {
        "model": "vendor/model-1:free",
        "messages": [{"role": "user", "content": "Say hi"}],
        "max_tokens": 16,
        "temperature": 0.2,
    }


async def test_params_pass_through_but_never_override_model_messages_or_stream(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply(body=COMPLETION))
    request = ChatRequest.from_prompt(
        "Say hi",
        params={"top_p": 0.5, "stop": ["\n"], "model": "evil", "messages": [], "stream": True},
    )

    await chat_completion(ctx, MODEL, request)

    sent = server.requests[0].json()
    assert sent["top_p"] == 0.5
    assert sent["stop"] == ["\n"]
    assert sent["model"] == "vendor/model-1:free"
    assert sent["messages"] == [{"role": "user", "content": "Say hi"}]
    assert "stream" not in sent
    assert "max_tokens" not in sent


async def test_tool_calls_are_returned_when_the_content_is_null(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply(body=TOOL_CALL_COMPLETION))

    response = await chat_completion(ctx, MODEL, REQUEST)

    assert response.content == ""
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls == (TOOL_CALL,)


async def test_the_key_goes_in_a_bearer_header(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply(body=COMPLETION))

    await chat_completion(ctx, MODEL, REQUEST, headers={"X-Title": "neoclone"})

    sent = server.requests[0]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-title"] == "neoclone"
    assert KEY not in sent.body.decode()
    assert KEY not in sent.path + sent.query


async def test_no_authorization_header_without_a_key(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("POST", CHAT, Reply(body=COMPLETION))

    await chat_completion(context(http, server.url + "/v1"), MODEL, REQUEST)

    assert "authorization" not in server.requests[0].headers


async def test_get_json_sends_params_and_the_key_and_decodes(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("GET", "/v1/models", Reply(body={"data": [{"id": "m"}]}))

    document = await get_json(ctx, "/models", params={"page": 2})

    assert document == {"data": [{"id": "m"}]}
    assert server.requests[0].query == "page=2"
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_get_json_maps_errors_and_refuses_non_json(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("GET", "/v1/models", Reply(status=401, body={"error": {"message": "No auth"}}))
    server.route("GET", "/v1/broken", Reply(body=b"{not json", headers={"Content-Type": "x"}))

    with pytest.raises(AuthenticationError, match=r"^acme: HTTP 401: No auth$"):
        await get_json(ctx, "/models")
    with pytest.raises(MalformedResponseError, match="invalid JSON"):
        await get_json(ctx, "/broken")


async def test_post_json_sends_the_body_headers_and_key_and_decodes(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/v1/predictions", Reply(201, body={"id": "p1", "status": "starting"}))

    document = await post_json(
        ctx, "/predictions", {"input": {"prompt": "hi"}}, headers={"Prefer": "wait=5"}
    )

    assert document == {"id": "p1", "status": "starting"}
    [sent] = server.requests
    assert sent.json() == {"input": {"prompt": "hi"}}
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["prefer"] == "wait=5"
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_post_json_maps_errors_naming_the_model(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/v1/limited", Reply(429, {"Retry-After": "3"}, {"error": "slow down"}))
    server.route("POST", "/v1/page", Reply(body=b"<html><title>Oops</title></html>"))

    with pytest.raises(RateLimitedError, match="slow down") as limited:
        await post_json(ctx, "/limited", {}, model="vendor/model-1")
    with pytest.raises(MalformedResponseError, match=r"an HTML page, not JSON \(Oops\)") as page:
        await post_json(ctx, "/page", {}, model="vendor/model-1")

    assert (limited.value.model, limited.value.retry_after) == ("vendor/model-1", 3.0)
    assert (page.value.model, page.value.status) == ("vendor/model-1", 200)


async def test_post_json_without_a_server_is_unavailable(http: httpx.AsyncClient) -> None:
    ctx = context(http, f"http://127.0.0.1:{free_port()}/v1", key=KEY)

    with pytest.raises(ProviderUnavailableError, match=r"cannot reach 127\.0\.0\.1") as caught:
        await post_json(ctx, "/predictions", {"input": {}}, model="vendor/model-1")

    assert caught.value.model == "vendor/model-1"
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("Hi", "Hi"),
        (
            [
                {"type": "text", "text": "Look: "},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}},
                {"type": "text", "text": "a cat"},
                "junk",
            ],
            "Look: a cat",
        ),
        (None, ""),
        ({"text": "not a part list"}, ""),
    ],
)
def test_content_text_keeps_the_text_of_a_message(content: object, text: str) -> None:
    assert content_text(content) == text


# -- streaming -------------------------------------------------------------------------


async def test_stream_round_trip_yields_token_by_token(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply.sse(STREAM))

    chunks = await collect(ctx)

    assert [c.content for c in chunks] == [*TOKENS, ""]
    assert chunks[-1].finish_reason == "stop"
    sent = server.requests[0]
    assert sent.json()["stream"] is True
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_stream_skips_comments_and_keep_alives(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """OpenRouter sends `: OPENROUTER PROCESSING` comments while a model warms up."""
    lines = [": OPENROUTER PROCESSING", "", ": OPENROUTER PROCESSING", ""]
    for token in TOKENS:
        lines += ["event: message", f"data: {json.dumps(delta(token))}", ""]
    lines += [f"data: {json.dumps(delta('', 'stop'))}", "", "data: [DONE]", ""]
    raw = "\r\n".join(lines).encode()
    server.route("POST", CHAT, Reply(body=raw, headers={"Content-Type": "text/event-stream"}))

    chunks = await collect(ctx)

    assert "".join(c.content for c in chunks) == "Hello, world"


async def test_stream_keeps_unicode_line_separators_inside_the_json(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    raw = json.dumps(delta("a\u2028b", "stop"), ensure_ascii=False)
    server.route("POST", CHAT, Reply.sse([raw]))

    chunks = await collect(ctx)

    assert chunks[0].content == "a\u2028b"


async def test_a_null_error_field_in_chunks_is_not_an_error(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply.sse([{**chunk, "error": None} for chunk in STREAM]))

    chunks = await collect(ctx)

    assert "".join(c.content for c in chunks) == "Hello, world"


async def test_streamed_tool_calls_pass_through_piece_by_piece(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply.sse(TOOL_STREAM))

    chunks = await collect(ctx)

    pieces = [piece for chunk in chunks for piece in chunk.tool_calls]
    assert pieces == [
        p for event in TOOL_STREAM for p in event["choices"][0]["delta"].get("tool_calls", [])
    ]
    arguments = "".join(p["function"]["arguments"] for p in pieces if p["index"] == 0)
    assert json.loads(arguments) == {"city": "Tokyo"}
    assert chunks[-1].finish_reason == "tool_calls"
    assert all(c.content == "" for c in chunks)


UNINDEXED = StreamQuirks(unindexed_tool_calls=True)


async def test_with_the_unindexed_quirk_gemini_tool_calls_are_numbered_and_end_as_tool_calls(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    # The chunk shape Gemini's OpenAI-compatible endpoint was measured sending
    # (THU-MAIC/OpenMAIC#1556, openai/openai-python#2806): whole calls without an
    # `index`, an `extra_content` to keep, and `finish_reason` "stop" at the end.
    def gemini_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
        function = {"arguments": arguments, "name": name}
        extra = {"google": {"thought_signature": "c2ln"}}
        call = {"extra_content": extra, "function": function, "id": call_id, "type": "function"}
        return tool_delta(call)

    server.route(
        "POST",
        CHAT,
        Reply.sse(
            [
                gemini_call("call_1", "read", '{"path": "a.md"}'),
                gemini_call("call_2", "read", '{"path": "b.md"}'),
                delta("", "stop"),
            ]
        ),
    )

    chunks = await collect(ctx, quirks=UNINDEXED)

    pieces = [piece for chunk in chunks for piece in chunk.tool_calls]
    assert [(p["index"], p["id"]) for p in pieces] == [(0, "call_1"), (1, "call_2")]
    assert pieces[0]["extra_content"] == {"google": {"thought_signature": "c2ln"}}
    assert chunks[-1].finish_reason == "tool_calls"


async def test_with_the_unindexed_quirk_argument_pieces_continue_the_call_they_follow(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    first = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}
    more = {"function": {"arguments": '{"a": 1}'}}
    server.route("POST", CHAT, Reply.sse([tool_delta(first), tool_delta(more), delta("", "stop")]))

    chunks = await collect(ctx, quirks=UNINDEXED)

    assert [p["index"] for chunk in chunks for p in chunk.tool_calls] == [0, 0]


async def test_without_the_quirk_a_stop_after_tool_calls_stays_stop(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    server.route("POST", CHAT, Reply.sse([tool_delta(call), delta("", "stop")]))

    chunks = await collect(ctx)

    assert chunks[-1].finish_reason == "stop"


async def test_a_stream_answered_with_a_tool_call_json_yields_its_calls_indexed(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply(body=TOOL_CALL_COMPLETION))

    chunks = await collect(ctx)

    assert chunks == [ChatChunk("", "tool_calls", ({"index": 0, **TOOL_CALL},))]


async def test_stream_answered_with_plain_json_yields_one_chunk(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply(body=COMPLETION))

    chunks = await collect(ctx)

    assert chunks == [ChatChunk("Hi there!", "stop")]


async def test_stream_cut_mid_way_is_interrupted_after_the_chunks_before_it(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply.sse(STREAM, cut_after_events=3))
    chunks: list[ChatChunk] = []

    with pytest.raises(StreamInterruptedError) as caught:
        await collect(ctx, chunks)

    assert [c.content for c in chunks] == ["Hel", "lo"]
    assert isinstance(caught.value.__cause__, httpx.TransportError)


async def test_stream_ending_without_done_or_finish_reason_is_interrupted(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    events = [json.dumps(delta(t)) for t in TOKENS]
    server.route("POST", CHAT, Reply(events=events))

    with pytest.raises(StreamInterruptedError, match="ended before"):
        await collect(ctx)


async def test_error_event_after_content_is_a_stream_interruption(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """OpenRouter's mid-stream error: HTTP 200, then an event with `error` and
    finish_reason "error" (shape from its error-handling docs)."""
    error_event = {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "error": {"code": "server_error", "message": "Provider disconnected"},
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
    }
    server.route("POST", CHAT, Reply.sse([delta("Hel"), error_event]))
    chunks: list[ChatChunk] = []

    with pytest.raises(StreamInterruptedError, match="Provider disconnected") as caught:
        await collect(ctx, chunks)

    assert [c.content for c in chunks] == ["Hel"]
    assert caught.value.provider == "acme"


async def test_error_event_with_a_status_before_any_content_raises_its_class(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """Nothing was delivered yet, so the caller can fall back as if the call had failed."""
    body = json.loads(error_body("openrouter-429-free-models-per-day.json"))
    server.route("POST", CHAT, Reply.sse([delta(), body]))

    with pytest.raises(RateLimitedError) as caught:
        await collect(ctx)

    assert caught.value.retry_after == pytest.approx(3600.0)


async def test_error_event_with_a_status_after_content_is_still_an_interruption(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    body = json.loads(error_body("openrouter-429-free-models-per-day.json"))
    server.route("POST", CHAT, Reply.sse([delta("Hel"), body]))

    with pytest.raises(StreamInterruptedError, match="free-models-per-day"):
        await collect(ctx)


async def test_stream_refused_with_a_status_raises_the_mapped_error(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    body = error_body("openrouter-429-free-models-per-day-high-balance.json")
    reset_ms = str(int((NOW + 30) * 1000))
    server.route(
        "POST", CHAT, Reply(status=429, headers={"X-RateLimit-Reset": reset_ms}, body=body)
    )

    with pytest.raises(RateLimitedError) as caught:
        await collect(ctx)

    assert caught.value.retry_after == pytest.approx(30.0)


async def test_stream_stalled_before_the_first_chunk_is_a_timeout(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("POST", CHAT, Reply.sse(STREAM, stall_after_events=1))

    with pytest.raises(ProviderTimeoutError):
        await collect(context(http, server.url + "/v1", timeout=0.2))


async def test_stream_stalled_after_content_is_interrupted(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("POST", CHAT, Reply.sse(STREAM, stall_after_events=2))

    with pytest.raises(StreamInterruptedError, match="ReadTimeout"):
        await collect(context(http, server.url + "/v1", timeout=0.2))


class CountingTransport(httpx.AsyncHTTPTransport):
    """Counts the TCP connections it opens, through httpcore's `trace` extension."""

    def __init__(self) -> None:
        super().__init__()
        self.connections = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async def trace(event: str, info: dict[str, Any]) -> None:
            if event == "connection.connect_tcp.complete":
                self.connections += 1

        request.extensions["trace"] = trace
        return await super().handle_async_request(request)


async def test_a_finished_stream_gives_its_connection_back_for_the_next_one(
    server: RecordingServer,
) -> None:
    server.route("POST", CHAT, Reply.sse(STREAM), Reply.sse(STREAM), Reply(body=COMPLETION))
    transport = CountingTransport()
    async with httpx.AsyncClient(transport=transport) as http:
        ctx = context(http, server.url + "/v1", key=KEY)

        first, second = await collect(ctx), await collect(ctx)
        await chat_completion(ctx, MODEL, REQUEST)

    assert [c.content for c in first] == [c.content for c in second] == [*TOKENS, ""]
    assert transport.connections == 1


async def test_a_body_left_open_after_done_does_not_fail_the_finished_stream(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    events = len(STREAM) + 1  # every chunk and [DONE], then the body never ends
    server.route("POST", CHAT, Reply.sse(STREAM, stall_after_events=events))

    chunks = await collect(context(http, server.url + "/v1", timeout=0.2))

    assert [c.content for c in chunks] == [*TOKENS, ""]


# -- HTTP errors, recorded bodies -------------------------------------------------------

GROQ_HEADERS = {  # Groq's documented rate-limit headers: the token limit ran out
    "x-ratelimit-limit-requests": "14400",
    "x-ratelimit-limit-tokens": "18000",
    "x-ratelimit-remaining-requests": "14370",
    "x-ratelimit-remaining-tokens": "0",
    "x-ratelimit-reset-requests": "2m59.56s",
    "x-ratelimit-reset-tokens": "7.66s",
}
CEREBRAS_HEADERS = {  # Cerebras' documented headers: neither listed limit is at 0
    "x-ratelimit-remaining-requests-day": "14399",
    "x-ratelimit-remaining-tokens-minute": "59000",
    "x-ratelimit-reset-requests-day": "33011.382867097855",
    "x-ratelimit-reset-tokens-minute": "11.382867097854614",
}

RECORDED_ERRORS = [
    pytest.param(
        "openrouter-429-free-models-per-day.json",
        429,
        {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "1777420800000",
        },
        RateLimitedError,
        3600.0,
        id="openrouter-429-reset-in-epoch-ms",
    ),
    pytest.param(
        "openrouter-429-free-models-per-day.json",
        429,
        {},
        RateLimitedError,
        3600.0,
        id="openrouter-429-reset-only-in-the-body-metadata",
    ),
    pytest.param(
        "openrouter-429-free-models-per-day-high-balance.json",
        429,
        {"X-RateLimit-Reset": str(int((NOW + 90) * 1000))},
        RateLimitedError,
        90.0,
        id="openrouter-429-high-balance",
    ),
    pytest.param(
        "groq-429-tpm.json", 429, GROQ_HEADERS, RateLimitedError, 7.66, id="groq-429-headers"
    ),
    pytest.param(
        "groq-429-tpm.json", 429, {}, RateLimitedError, 50.597142857, id="groq-429-message"
    ),
    pytest.param(
        "gemini-429-resource-exhausted.json", 429, {}, RateLimitedError, 20.0, id="gemini-429"
    ),
    pytest.param(
        "github-models-429-ratelimitreached.json",
        429,
        {"Retry-After": "33"},
        RateLimitedError,
        33.0,
        id="github-models-429",
    ),
    pytest.param(
        "cerebras-429-request-quota.json",
        429,
        CEREBRAS_HEADERS,
        RateLimitedError,
        11.382867097854614,
        id="cerebras-429",
    ),
    pytest.param(
        "cerebras-429-request-quota.json", 429, {}, RateLimitedError, None, id="cerebras-429-bare"
    ),
    pytest.param(
        "gemini-400-invalid-key.json", 400, {}, AuthenticationError, None, id="gemini-400-key"
    ),
    pytest.param(
        "ollama-openai-compat-404.json", 404, {}, ModelNotFoundError, None, id="ollama-404"
    ),
    pytest.param(
        "opencode-zen-404-model.json", 404, {}, ModelNotFoundError, None, id="opencode-zen-404"
    ),
]


@pytest.mark.parametrize(("name", "status", "headers", "expected", "wait"), RECORDED_ERRORS)
async def test_recorded_error_maps_to_its_class_and_wait(
    server: RecordingServer,
    ctx: ProviderContext,
    name: str,
    status: int,
    headers: dict[str, str],
    expected: type[ProviderError],
    wait: float | None,
) -> None:
    server.route("POST", CHAT, Reply.json_file(ERRORS / name, status=status, headers=headers))

    with pytest.raises(ProviderError) as caught:
        await chat_completion(ctx, MODEL, REQUEST)

    error = caught.value
    assert type(error) is expected
    assert (error.provider, error.model, error.status) == ("acme", MODEL.name, status)
    assert str(error).startswith(f"acme: HTTP {status}: ")
    assert isinstance(error, RateLimitedError) == (wait is not None or status == 429)
    if isinstance(error, RateLimitedError):
        assert error.retry_after == (None if wait is None else pytest.approx(wait))


async def test_upstream_messages_are_extracted_from_each_shape(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    expected = {
        "openrouter-429-free-models-per-day.json": "Rate limit exceeded: free-models-per-day. "
        "Add 10 credits to unlock 1000 free model requests per day",
        "gemini-400-invalid-key.json": "API key not valid. Please pass a valid API key.",
        "cerebras-429-request-quota.json": "Requests per minute limit exceeded - too many "
        "requests sent.",
        "opencode-zen-404-model.json": "Model 'nonexistent-model' not found",
    }
    for name, message in expected.items():
        server.route("POST", CHAT, Reply.json_file(ERRORS / name, status=400))
        with pytest.raises(ProviderError) as caught:
            await chat_completion(ctx, MODEL, REQUEST)
        assert str(caught.value) == f"acme: HTTP 400: {message}"


async def test_retry_after_as_an_http_date(server: RecordingServer, ctx: ProviderContext) -> None:
    when = formatdate(NOW + 120, usegmt=True)
    server.route("POST", CHAT, Reply(status=429, headers={"Retry-After": when}, body={}))

    with pytest.raises(RateLimitedError) as caught:
        await chat_completion(ctx, MODEL, REQUEST)

    assert caught.value.retry_after == pytest.approx(120.0)


# -- HTTP errors, by status -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            401,
            {"error": {"message": "No auth credentials found", "code": 401}},
            AuthenticationError,
        ),
        (403, {"error": "Forbidden"}, AuthenticationError),
        (403, {"error": {"message": "Input flagged by moderation"}}, BadRequestError),
        (
            400,
            {
                "error": {
                    "message": "This model's maximum context length is 8192 tokens. "
                    "However, your messages resulted in 9000 tokens.",
                    "code": "context_length_exceeded",
                }
            },
            ContextTooLongError,
        ),
        (413, {"error": {"message": "Request too large for model"}}, ContextTooLongError),
        (
            422,
            {"detail": "prompt is too long: 300000 tokens > 200000 maximum"},
            ContextTooLongError,
        ),
        (400, {"error": {"message": "The model `gpt-9` does not exist"}}, ModelNotFoundError),
        (
            400,
            {"error": {"message": "vendor/x is not a valid model ID", "code": 400}},
            ModelNotFoundError,
        ),
        (400, {"error": {"message": "temperature must be <= 2"}}, BadRequestError),
        (402, {"error": {"message": "Insufficient credits"}}, RateLimitedError),
        (403, {"error": {"message": "No access to model: openai/o1"}}, ModelNotFoundError),
        (400, {"error": {"code": "model_not_supported", "message": "x"}}, ModelNotFoundError),
        (
            413,
            {"error": {"code": "tokens_limit_reached", "message": "Request body too large"}},
            ContextTooLongError,
        ),
        (410, {"error": {"message": "brownout"}}, ProviderUnavailableError),
        (408, {"error": "timeout"}, ProviderTimeoutError),
        (500, {"error": {"message": "Internal Server Error"}}, ProviderUnavailableError),
        (
            502,
            b"<html><head><title>502 Bad Gateway</title></head></html>",
            ProviderUnavailableError,
        ),
        (503, {"message": "overloaded"}, ProviderUnavailableError),
        (529, {"type": "error", "error": {"type": "overloaded_error"}}, ProviderUnavailableError),
    ],
)
def test_error_from_response_maps_status_and_message(
    status: int, body: object, expected: type[ProviderError]
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()

    error = error_from_response("acme", "m", status, {}, raw, now=NOW)

    assert type(error) is expected
    assert error.status == status
    assert str(error).startswith(f"acme: HTTP {status}: ")


def test_an_html_error_page_is_reduced_to_its_title() -> None:
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body>"

    error = error_from_response("acme", "m", 502, {}, page, now=NOW)

    assert str(error) == "acme: HTTP 502: 502 Bad Gateway"


def test_an_empty_error_body_says_the_status_phrase() -> None:
    error = error_from_response("acme", "m", 503, {}, b"", now=NOW)

    assert str(error) == "acme: HTTP 503: Service Unavailable"


def test_long_upstream_messages_are_shortened() -> None:
    body = json.dumps({"error": {"message": "x" * 5000}}).encode()

    error = error_from_response("acme", "m", 400, {}, body, now=NOW)

    assert len(str(error)) < 330
    assert str(error).endswith("...")


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Retry-After": "7"}, None, 7.0),
        ({"retry-after-ms": "1500"}, None, 1.5),
        ({"Retry-After": formatdate(NOW - 60, usegmt=True)}, None, 0.0),
        ({"X-RateLimit-Reset": str(int(NOW + 42))}, None, 42.0),
        ({"X-RateLimit-Reset": "12"}, None, 12.0),
        (
            {"x-ratelimit-reset-requests": "1h2m", "x-ratelimit-remaining-requests": "0"},
            None,
            3720.0,
        ),
        (
            {"x-ratelimit-reset-requests": "2m59.56s", "x-ratelimit-reset-tokens": "7.66s"},
            None,
            7.66,
        ),
        ({"x-ratelimit-reset-tokens": "150ms"}, None, 0.15),
        ({}, {"error": {"message": "Please wait 2 minutes before retrying."}}, 120.0),
        ({}, {"error": {"message": "Please try again in 1m30.5s."}}, 90.5),
        ({"Retry-After": "soon"}, {"error": {"message": "slow down"}}, None),
        ({}, None, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], body: Any, expected: float | None) -> None:
    wait = parse_retry_after(headers, body, NOW)

    assert wait == (None if expected is None else pytest.approx(expected))


# -- malformed answers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (
            Reply(
                body="<!DOCTYPE html><html><title>Just a moment...</title></html>",
                headers={"Content-Type": "text/html"},
            ),
            "HTML page",
        ),
        (
            Reply(body=b'{"choices": [', headers={"Content-Type": "application/json"}),
            "invalid JSON",
        ),
        (Reply(body=b"", headers={"Content-Type": "application/json"}), "empty body"),
        (Reply(body={**COMPLETION, "choices": []}), "no choices"),
        (Reply(body={"id": "x", "object": "chat.completion"}), "no choices"),
        (Reply(body={"choices": [{"text": "legacy"}]}), "no choices"),
        (
            Reply(body={"error": {"message": "Something broke"}}),
            "carrying an error: Something broke",
        ),
    ],
)
async def test_a_200_that_is_not_a_completion_is_malformed(
    server: RecordingServer, ctx: ProviderContext, reply: Reply, words: str
) -> None:
    server.route("POST", CHAT, reply)

    with pytest.raises(MalformedResponseError, match=words):
        await chat_completion(ctx, MODEL, REQUEST)


async def test_an_error_with_a_status_inside_a_200_raises_that_status_class(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply.json_file(ERRORS / "openrouter-429-free-models-per-day.json"))

    with pytest.raises(RateLimitedError, match="error 429 inside an HTTP 200") as caught:
        await chat_completion(ctx, MODEL, REQUEST)

    assert caught.value.retry_after == pytest.approx(3600.0)
    assert caught.value.status == 429


# -- transport -------------------------------------------------------------------------


async def test_connection_refused_is_unreachable(http: httpx.AsyncClient) -> None:
    ctx = context(http, f"http://127.0.0.1:{free_port()}/v1", key=KEY)

    with pytest.raises(ProviderUnreachableError, match=r"cannot reach 127\.0\.0\.1") as caught:
        await chat_completion(ctx, MODEL, REQUEST)
    assert caught.value.kind == "unavailable"  # in statistics, as any outage
    assert isinstance(caught.value.__cause__, httpx.ConnectError)

    with pytest.raises(ProviderUnavailableError):
        await collect(ctx)
    with pytest.raises(ProviderUnavailableError):
        await get_json(ctx, "/models")


async def test_a_slow_server_is_a_timeout(server: RecordingServer, http: httpx.AsyncClient) -> None:
    server.route("POST", CHAT, Reply(body=COMPLETION, delay_s=2.0))
    ctx = context(http, server.url + "/v1", timeout=0.2)

    with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.2s") as caught:
        await chat_completion(ctx, MODEL, REQUEST)

    assert isinstance(caught.value.__cause__, httpx.TimeoutException)


async def test_a_dropped_connection_is_unavailable(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply(close_without_response=True))

    with pytest.raises(ProviderUnavailableError):
        await chat_completion(ctx, MODEL, REQUEST)


# -- secrets ---------------------------------------------------------------------------

PLAIN_KEY = "plain-secret-value-that-has-no-vendor-prefix"


ReplyMaker = Callable[[str, str], Reply]  # (echo, key) -> reply
PLAIN_REPLIES: list[ReplyMaker] = [
    lambda echo, key: Reply(status=401, body={"error": {"message": echo}}),
    lambda echo, key: Reply(status=429, body={"error": echo}),
    lambda echo, key: Reply(status=400, body={"detail": echo + " " + "x" * 290 + key}),
    lambda echo, key: Reply(status=500, body=f"<html><title>{echo}</title></html>".encode()),
    lambda echo, key: Reply(body=f"<html>{echo}</html>", headers={"Content-Type": "text/html"}),
    lambda echo, key: Reply(body=f"{{{echo}", headers={"Content-Type": "application/json"}),
    lambda echo, key: Reply(body={"error": {"message": echo}}),
    lambda echo, key: Reply(body={"error": {"message": echo, "code": 402}}),
]
STREAM_REPLIES: list[ReplyMaker] = [
    lambda echo, key: Reply.sse([delta("a"), {"error": {"message": echo, "code": 502}}]),
    lambda echo, key: Reply.sse([{"error": {"message": echo, "code": 429}}]),
    lambda echo, key: Reply.sse([delta("a"), f"{key} {echo}"]),
    lambda echo, key: Reply(status=403, body={"error": {"message": echo}}),
]


@pytest.mark.parametrize("key", [KEY, PLAIN_KEY])
async def test_a_planted_key_never_reaches_an_error_message(
    server: RecordingServer, http: httpx.AsyncClient, key: str
) -> None:
    """Upstream bodies that echo the key back, as some providers do, on every path."""
    ctx = context(http, server.url + "/v1", key=key)
    echo = f"Invalid key {key} (Bearer {key})"
    messages = []
    for make_reply in [*PLAIN_REPLIES, *STREAM_REPLIES]:
        server.route("POST", CHAT, make_reply(echo, key))
        call = chat_completion(ctx, MODEL, REQUEST) if make_reply in PLAIN_REPLIES else collect(ctx)
        with pytest.raises(ProviderError) as caught:
            await call
        messages.append(str(caught.value))

    assert len(set(messages)) == len(PLAIN_REPLIES) + len(STREAM_REPLIES)
    for message in messages:
        assert "[REDACTED]" in message
        assert key not in message
        assert key[:12] not in message


@pytest.mark.parametrize(
    ("request_", "why"),
    [
        pytest.param(ChatRequest.from_prompt("Say hi", temperature=float("nan")), "NaN", id="nan"),
        pytest.param(
            ChatRequest.from_prompt("Say hi", params={"top_p": float("inf")}),
            "infinity",
            id="inf",
        ),
        pytest.param(ChatRequest.from_prompt("a \ud800 b"), "UTF-8", id="lone-surrogate"),
    ],
)
async def test_a_request_json_cannot_carry_is_the_callers_error_and_sends_nothing(
    server: RecordingServer, ctx: ProviderContext, request_: ChatRequest, why: str
) -> None:
    server.route("POST", CHAT, Reply(body=COMPLETION))

    with pytest.raises(BadRequestError, match=why) as chat:
        await chat_completion(ctx, MODEL, request_)
    with pytest.raises(BadRequestError, match=why):
        [chunk async for chunk in stream_chat_completion(ctx, MODEL, request_)]

    assert chat.value.kind == "bad_request"
    assert server.requests == []  # encoded before any connection: no provider is blamed
