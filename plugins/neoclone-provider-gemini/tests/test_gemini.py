"""The Gemini provider against its recorded model list and error bodies, on 127.0.0.1.

The expected numbers are computed here from the raw recording with the rules written
out plainly, not by calling the code under test. The recording is one page (9 models,
no `nextPageToken`); paging is tested by serving two pages built by splitting it. No
recorded Gemini chat completion exists in the shared recordings: the chat and stream
bodies below follow OpenAI's shape as Gemini's OpenAI-compatible endpoint returns it.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_gemini as gemini
import pytest
from neoclone_provider_gemini import GeminiProvider

from neoclone_core import (
    Capability,
    ChatRequest,
    ModelInfo,
    Neoclone,
    Pricing,
    Provider,
    ProviderContext,
    RateLimit,
    ScanStatus,
)
from neoclone_core.errors import (
    AuthenticationError,
    MalformedResponseError,
    MissingAPIKeyError,
    ProviderTimeoutError,
    RateLimitedError,
    StreamInterruptedError,
)
from neoclone_core.testing import (
    RecordedRequest,
    RecordingServer,
    Reply,
    collect_text,
    neoclone_with,
    provider_context,
)

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "gemini-models-2025-12.json"
RESOURCE_EXHAUSTED = FIXTURES / "gemini-429-resource-exhausted.json"
INVALID_KEY = FIXTURES / "gemini-400-invalid-key.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["models"]
MODELS = "/v1beta/models"
CHAT = "/v1beta/openai/chat/completions"
NOW = 1_766_500_000.0
KEY = "AIza" + "Sy0123456789abcdefghijklmnopqrstu"


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY, timeout: float = 5.0
) -> ProviderContext:
    return provider_context(GeminiProvider(), server.url, http, key=key, timeout=timeout, now=NOW)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", MODELS, Reply.json_file(MODELS_FILE))
    return context(server, http)


async def discovered(ctx: ProviderContext) -> dict[str, ModelInfo]:
    return {m.name: m for m in await GeminiProvider().discover(ctx)}


def short_name(entry: dict[str, Any]) -> str:
    return str(entry["name"]).split("/", 1)[1]


def can_chat(entry: dict[str, Any]) -> bool:
    return "generateContent" in entry["supportedGenerationMethods"]


def is_free(entry: dict[str, Any]) -> bool:
    """The free tier covers Flash, Flash-Lite and Gemma; 2.5 Pro left it in Dec 2025."""
    return "flash" in entry["name"] or "gemma" in entry["name"]


def assert_key_only_in_its_header(sent: RecordedRequest) -> None:
    assert sent.headers["x-goog-api-key"] == KEY
    assert "authorization" not in sent.headers
    assert KEY not in sent.path + sent.query
    assert "key=" not in sent.query


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_gemini_provider() -> None:
    registered: list[Provider] = []

    gemini.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "gemini"
    assert provider.default_base_url == "https://generativelanguage.googleapis.com"
    assert provider.api_key_env == "GEMINI_API_KEY"


# -- discovery ------------------------------------------------------------------------------


async def test_the_recording_yields_the_numbers_the_free_rules_give(ctx: ProviderContext) -> None:
    chat_names = {short_name(e) for e in RAW if can_chat(e)}
    free_names = {short_name(e) for e in RAW if can_chat(e) and is_free(e)}

    models = await discovered(ctx)

    assert len(RAW) == 9
    assert set(models) == chat_names
    assert len(models) == 7
    assert {n for n, m in models.items() if m.free} == free_names
    assert len(free_names) == 6
    assert not models["gemini-2.5-pro"].free
    assert models["gemini-2.5-pro"].rate_limit == RateLimit()
    assert "embedding-001" not in models and "text-embedding-004" not in models
    assert all(m.pricing == Pricing() for m in models.values())  # the list has no prices


async def test_known_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    flash = models["gemini-2.5-flash"]
    assert flash.id == "gemini/gemini-2.5-flash"
    assert flash.display_name == "Gemini 2.5 Flash"
    assert flash.context_length == 1_048_576
    assert flash.capabilities == {
        Capability.TEXT,
        Capability.STREAMING,
        Capability.VISION,
        Capability.TOOLS,
        Capability.REASONING,  # "thinking": true
    }
    assert flash.rate_limit == RateLimit(
        requests_per_minute=10, requests_per_day=250, tokens_per_minute=250_000
    )

    assert Capability.REASONING not in models["gemini-2.0-flash"].capabilities
    assert models["gemini-2.5-flash-lite"].rate_limit.requests_per_day == 1_000  # not Flash's
    assert models["gemini-2.0-flash-lite-001"].rate_limit.requests_per_minute == 30
    assert models["gemini-2.0-flash-001"].rate_limit.requests_per_minute == 15


async def test_the_listing_sends_the_key_only_in_x_goog_api_key(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    await GeminiProvider().discover(ctx)

    [sent] = server.requests
    assert_key_only_in_its_header(sent)
    assert sent.query == "pageSize=1000"


async def test_discovery_without_a_key_is_skipped_before_any_request(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(MissingAPIKeyError, match="GEMINI_API_KEY") as caught:
        await GeminiProvider().discover(context(server, http, key=None))

    assert caught.value.env_var == "GEMINI_API_KEY"
    assert server.requests == []


def two_pages(request: RecordedRequest) -> Reply:
    """The recording split in two pages, linked the way the API links them."""
    if "pageToken=next-page" in request.query:
        return Reply(body={"models": RAW[4:]})
    return Reply(body={"models": RAW[:4], "nextPageToken": "next-page"})


async def test_discovery_follows_next_page_tokens(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    """Paging, tested on two pages built by splitting the one-page recording."""
    server.route("GET", MODELS, two_pages)

    paged = await GeminiProvider().discover(context(server, http))

    assert [m.name for m in paged] == [short_name(e) for e in RAW if can_chat(e)]
    first, second = server.requests
    assert first.query == "pageSize=1000"
    assert second.query == "pageSize=1000&pageToken=next-page"
    assert_key_only_in_its_header(second)


async def test_a_page_token_that_comes_back_twice_stops_the_listing(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", MODELS, Reply(body={"models": RAW[:1], "nextPageToken": "again"}))

    with pytest.raises(MalformedResponseError, match="came back twice"):
        await GeminiProvider().discover(context(server, http))

    assert server.hits("GET", MODELS) == 2


async def test_an_empty_last_page_may_be_an_empty_object(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route(
        "GET",
        MODELS,
        lambda r: Reply(body={} if "pageToken" in r.query else {"nextPageToken": "last"}),
    )

    assert await GeminiProvider().discover(context(server, http)) == []


def entry(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": f"models/{name}",
        "displayName": name.title(),
        "inputTokenLimit": 32_768,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
        **fields,
    }


async def test_odd_entries_are_skipped_and_non_text_models_left_out(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {
        "models": [
            entry("gemma-3-27b-it"),
            {"displayName": "no name"},
            "not an object",
            entry("gemini-2.5-flash-preview-tts"),
            entry("gemini-2.5-flash-image"),
            entry("aqa", supportedGenerationMethods=["generateAnswer"]),
            entry("gemini-3-flash-preview", inputTokenLimit="lots"),
            entry("gemini-2.5-flash-lite-preview-09-2025"),
        ]
    }
    server.route("GET", MODELS, Reply(body=document))

    models = await GeminiProvider().discover(context(server, http))

    by_name = {m.name: m for m in models}
    assert list(by_name) == [
        "gemma-3-27b-it",
        "gemini-3-flash-preview",
        "gemini-2.5-flash-lite-preview-09-2025",
    ]
    gemma = by_name["gemma-3-27b-it"]
    assert gemma.free
    assert gemma.capabilities == {Capability.TEXT, Capability.STREAMING}
    assert gemma.rate_limit.requests_per_day == 14_400
    new_flash = by_name["gemini-3-flash-preview"]
    assert (new_flash.free, new_flash.rate_limit, new_flash.context_length) == (
        True,
        RateLimit(),  # no documented limits for this family: unknown, not guessed
        None,
    )
    assert by_name["gemini-2.5-flash-lite-preview-09-2025"].rate_limit.requests_per_day == 1_000
    assert [e["entry"] for e in captured if e["log_level"] == "warning"] == ["#1", "#2"]


@pytest.mark.parametrize("document", [[], {"models": {"name": "x"}}, "models"])
async def test_a_page_that_is_not_a_model_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient, document: object
) -> None:
    server.route("GET", MODELS, Reply(body=document))

    with pytest.raises(MalformedResponseError):
        await GeminiProvider().discover(context(server, http))


async def test_broken_json_is_malformed(server: RecordingServer, http: httpx.AsyncClient) -> None:
    server.route(
        "GET",
        MODELS,
        Reply(
            body=b'{"models": [{"name": "models/gem', headers={"Content-Type": "application/json"}
        ),
    )

    with pytest.raises(MalformedResponseError, match="invalid JSON"):
        await GeminiProvider().discover(context(server, http))


async def test_a_listing_that_never_answers_times_out(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", MODELS, Reply(delay_s=5, body={"models": []}))

    with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.2s"):
        await GeminiProvider().discover(context(server, http, timeout=0.2))


async def test_a_refused_key_fails_discovery_as_authentication(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", MODELS, Reply.json_file(INVALID_KEY, 400))

    with pytest.raises(AuthenticationError, match="API key not valid"):
        await GeminiProvider().discover(context(server, http))


# -- chat and streaming ---------------------------------------------------------------------

MODEL = ModelInfo("gemini", "gemini-2.5-flash", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


async def test_chat_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI's shape as Gemini's compatible endpoint answers (none recorded)."""
    completion = {
        "choices": [
            {
                "finish_reason": "stop",
                "index": 0,
                "message": {"content": "Hi!", "role": "assistant"},
            }
        ],
        "created": 1_766_500_000,
        "id": "2mJKabc",
        "model": "gemini-2.5-flash",
        "object": "chat.completion",
        "usage": {"completion_tokens": 3, "prompt_tokens": 4, "total_tokens": 7},
    }
    server.route("POST", CHAT, Reply(body=completion))

    response = await GeminiProvider().chat(ctx, MODEL, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == "gemini/gemini-2.5-flash"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (4, 3)
    sent = server.requests[-1]
    assert sent.json()["model"] == "gemini-2.5-flash"
    assert sent.json()["max_tokens"] == 32
    assert_key_only_in_its_header(sent)


def chunk(content: str, finish_reason: str | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"delta": {"content": content, "role": "assistant"}, "index": 0}
    if finish_reason:
        choice["finish_reason"] = finish_reason
    return {"choices": [choice], "model": "gemini-2.5-flash", "object": "chat.completion.chunk"}


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI-shaped chunks as Gemini's compatible endpoint streams them (none recorded)."""
    server.route("POST", CHAT, Reply.sse([chunk("Hi"), chunk(" there", "stop")]))

    chunks = [c async for c in GeminiProvider().stream(ctx, MODEL, REQUEST)]

    assert "".join(c.content for c in chunks) == "Hi there"
    assert chunks[-1].finish_reason == "stop"
    sent = server.requests[-1]
    assert sent.json()["stream"] is True
    assert sent.headers["accept"] == "text/event-stream"
    assert_key_only_in_its_header(sent)


async def test_a_stream_cut_after_the_first_chunk_is_interrupted(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply.sse([chunk("Hi"), chunk(" th")], cut_after_events=1))

    received: list[str] = []
    with pytest.raises(StreamInterruptedError, match="connection lost"):
        await collect_text(GeminiProvider().stream(ctx, MODEL, REQUEST), received)

    assert received == ["Hi"]


def resource_exhausted_in_a_list() -> bytes:
    """The recorded 429 wrapped in a list, as the OpenAI-compatible endpoint sends its
    errors (the recording itself has the native endpoints' shape)."""
    return json.dumps([json.loads(RESOURCE_EXHAUSTED.read_bytes())]).encode()


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply.json_file(RESOURCE_EXHAUSTED, 429), id="recorded"),
        pytest.param(
            Reply(
                status=429,
                body=resource_exhausted_in_a_list(),
                headers={"Content-Type": "application/json"},
            ),
            id="list-wrapped",
        ),
    ],
)
async def test_the_recorded_429_waits_for_its_retry_delay(
    server: RecordingServer, ctx: ProviderContext, reply: Reply
) -> None:
    server.route("POST", CHAT, reply)

    with pytest.raises(RateLimitedError, match="exceeded your current quota") as caught:
        await GeminiProvider().chat(ctx, MODEL, REQUEST)

    assert caught.value.retry_after == 20.0  # RetryInfo.retryDelay "20s"; no header is sent
    assert caught.value.provider == "gemini"
    assert caught.value.model == "gemini-2.5-flash"


async def test_the_recorded_429_before_a_stream_starts_is_a_rate_limit(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply.json_file(RESOURCE_EXHAUSTED, 429))

    with pytest.raises(RateLimitedError) as caught:
        [c async for c in GeminiProvider().stream(ctx, MODEL, REQUEST)]

    assert caught.value.retry_after == 20.0


async def test_the_recorded_invalid_key_400_is_an_authentication_error(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply.json_file(INVALID_KEY, 400))

    with pytest.raises(AuthenticationError, match="API key not valid") as caught:
        await GeminiProvider().chat(ctx, MODEL, REQUEST)

    assert caught.value.status == 400


async def test_a_key_echoed_in_an_error_never_reaches_the_message(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    odd_key = "proxy-issued-credential-42"  # not shaped like any vendor's key
    echo = {"error": {"code": 400, "message": f"API key not valid: {odd_key}"}}
    server.route("POST", CHAT, Reply(status=400, body=echo))

    with pytest.raises(AuthenticationError) as caught:
        await GeminiProvider().chat(context(server, http, key=odd_key), MODEL, REQUEST)

    assert odd_key not in str(caught.value)
    assert "[REDACTED]" in str(caught.value)


async def test_chat_and_stream_need_a_key(server: RecordingServer, http: httpx.AsyncClient) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(MissingAPIKeyError, match="GEMINI_API_KEY"):
        await GeminiProvider().chat(keyless, MODEL, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in GeminiProvider().stream(keyless, MODEL, REQUEST)]

    assert server.requests == []


# -- end to end -----------------------------------------------------------------------------


def neoclone(
    server: RecordingServer, home: Path, env: dict[str, str], key_env: str | None = None
) -> Neoclone:
    return neoclone_with(
        gemini, home, base_url=server.url, env=env, api_key_env=key_env, default_plugins=False
    )


async def test_neoclone_discovers_and_lists_gemini_free_models(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", MODELS, Reply.json_file(MODELS_FILE))

    async with neoclone(server, tmp_path, {"GEMINI_API_KEY": KEY}) as running:
        [scan] = await running.discover()
        free = running.models(free_only=True)
        everything = running.models()

    assert (scan.provider, scan.status, scan.models) == ("gemini", ScanStatus.SCANNED, 7)
    assert len(everything) == 7
    assert len(free) == 6
    assert "gemini/gemini-2.5-flash" in {m.id for m in free}
    assert "gemini/gemini-2.5-pro" not in {m.id for m in free}


async def test_neoclone_reads_google_api_key_when_configured_to(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", MODELS, Reply.json_file(MODELS_FILE))
    env = {"GOOGLE_API_KEY": KEY}

    async with neoclone(server, tmp_path, env, key_env="GOOGLE_API_KEY") as running:
        [scan] = await running.discover()

    assert scan.status == ScanStatus.SCANNED
    assert_key_only_in_its_header(server.requests[-1])


async def test_neoclone_skips_gemini_without_a_key_with_a_one_line_reason(
    server: RecordingServer, tmp_path: Path
) -> None:
    async with neoclone(server, tmp_path, {"GOOGLE_API_KEY": KEY}) as running:
        [scan] = await running.discover()

    assert scan.status == ScanStatus.SKIPPED
    assert scan.message == "gemini: no API key (set GEMINI_API_KEY)"
    assert server.requests == []
