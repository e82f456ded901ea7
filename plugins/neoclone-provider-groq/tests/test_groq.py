"""The Groq provider against its recorded model list and 429 body, replayed on 127.0.0.1.

The expected numbers are computed here from the raw recording with the rules written
out plainly, not by calling the code under test. No recorded Groq chat completion
exists in the shared recordings: the chat and stream bodies below follow OpenAI's
documented shape with Groq's extra `x_groq` and timing fields, and say so.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_groq as groq
import pytest
from neoclone_provider_groq import GroqProvider

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
    Source,
)
from neoclone_core.errors import (
    MalformedResponseError,
    MissingAPIKeyError,
    ProviderTimeoutError,
    RateLimitedError,
    StreamInterruptedError,
)
from neoclone_core.testing import (
    RecordingServer,
    Reply,
    collect_text,
    neoclone_with,
    provider_context,
)
from neoclone_core.testing import completion_chunk as chunk

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "groq-models-2025-11.json"
RATE_LIMIT_FILE = FIXTURES / "groq-429-tpm.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
BASE = "/openai/v1"
NOW = 1_763_400_000.0
KEY = "gsk_" + "0123456789abcdef" * 3


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY, timeout: float = 5.0
) -> ProviderContext:
    return provider_context(
        GroqProvider(), server.url + BASE, http, key=key, timeout=timeout, now=NOW
    )


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))
    return context(server, http)


async def discovered(ctx: ProviderContext) -> dict[str, ModelInfo]:
    return {m.name: m for m in await GroqProvider().discover(ctx)}


def is_chat_model(entry: dict[str, Any]) -> bool:
    """Groq's speech, text-to-speech and guard (safety classifier) models are not chat."""
    model_id = entry["id"].lower()
    not_chat = any(word in model_id for word in ("whisper", "tts", "guard"))
    return bool(entry["active"]) and not not_chat


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_groq_provider() -> None:
    registered: list[Provider] = []

    groq.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "groq"
    assert provider.default_base_url == "https://api.groq.com/openai/v1"
    assert provider.api_key_env == "GROQ_API_KEY"


# -- discovery ------------------------------------------------------------------------------


async def test_the_recording_yields_every_chat_model_as_free(ctx: ProviderContext) -> None:
    chat_ids = {e["id"] for e in RAW if is_chat_model(e)}

    models = await discovered(ctx)

    assert len(RAW) == 20
    assert len(chat_ids) == 12
    assert set(models) == chat_ids
    assert all(m.free for m in models.values())
    assert all(m.pricing == Pricing() for m in models.values())  # the list has no prices
    assert {m.name: m.context_length for m in models.values()} == {
        e["id"]: e["context_window"] for e in RAW if is_chat_model(e)
    }


async def test_speech_tts_and_guard_models_are_left_out(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    for left_out in (
        "whisper-large-v3",
        "whisper-large-v3-turbo",
        "playai-tts",
        "playai-tts-arabic",
        "meta-llama/llama-guard-4-12b",
        "meta-llama/llama-prompt-guard-2-22m",
        "meta-llama/llama-prompt-guard-2-86m",
        "openai/gpt-oss-safeguard-20b",
    ):
        assert left_out in {e["id"] for e in RAW}
        assert left_out not in models


async def test_every_recorded_chat_model_has_its_documented_free_limits(
    ctx: ProviderContext,
) -> None:
    models = await discovered(ctx)

    assert all(m.rate_limit != RateLimit() for m in models.values())
    assert models["llama-3.3-70b-versatile"].rate_limit == RateLimit(
        requests_per_minute=30, requests_per_day=1_000, tokens_per_minute=12_000
    )
    assert models["llama-3.1-8b-instant"].rate_limit.requests_per_day == 14_400
    assert models["moonshotai/kimi-k2-instruct-0905"].rate_limit.requests_per_minute == 60


async def test_known_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    llama = models["llama-3.3-70b-versatile"]
    assert llama.id == "groq/llama-3.3-70b-versatile"
    assert llama.context_length == 131_072
    assert llama.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}

    scout = models["meta-llama/llama-4-scout-17b-16e-instruct"]
    assert scout.capabilities == {
        Capability.TEXT,
        Capability.STREAMING,
        Capability.TOOLS,
        Capability.VISION,
    }

    gpt_oss = models["openai/gpt-oss-120b"]
    assert Capability.REASONING in gpt_oss.capabilities
    assert Capability.TOOLS in gpt_oss.capabilities

    assert models["moonshotai/kimi-k2-instruct-0905"].context_length == 262_144
    assert Capability.TOOLS not in models["groq/compound"].capabilities
    assert Capability.TOOLS not in models["allam-2-7b"].capabilities


async def test_the_listing_sends_the_key_in_the_authorization_header(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    await GroqProvider().discover(ctx)

    [sent] = server.requests
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in sent.path + sent.query


async def test_discovery_without_a_key_is_skipped_before_any_request(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(MissingAPIKeyError, match="GROQ_API_KEY") as caught:
        await GroqProvider().discover(context(server, http, key=None))

    assert caught.value.env_var == "GROQ_API_KEY"
    assert server.requests == []


def entry(model_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "active": True, "context_window": 8192, **fields}


async def test_malformed_and_inactive_entries_are_skipped(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {
        "object": "list",
        "data": [
            entry("good-model"),
            {"object": "model"},
            "not an object",
            entry("retired-model", active=False),
            entry("odd-context", context_window="big"),
        ],
    }
    server.route("GET", f"{BASE}/models", Reply(body=document))

    models = await GroqProvider().discover(context(server, http))

    assert [(m.name, m.context_length) for m in models] == [
        ("good-model", 8192),
        ("odd-context", None),
    ]
    assert models[0].rate_limit == RateLimit()  # not in Groq's table: unknown, not guessed
    warnings = [e["entry"] for e in captured if e["log_level"] == "warning"]
    assert warnings == ["#1", "#2"]


@pytest.mark.parametrize("document", [{"models": []}, [], {"data": None}])
async def test_a_document_without_a_data_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient, document: object
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body=document))

    with pytest.raises(MalformedResponseError, match="no 'data' list"):
        await GroqProvider().discover(context(server, http))


async def test_an_html_page_instead_of_the_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
    server.route("GET", f"{BASE}/models", Reply(body=page, headers={"Content-Type": "text/html"}))

    with pytest.raises(MalformedResponseError, match="HTML page"):
        await GroqProvider().discover(context(server, http))


async def test_a_listing_that_never_answers_times_out(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", f"{BASE}/models", Reply(delay_s=5, body={"data": []}))

    with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.2s"):
        await GroqProvider().discover(context(server, http, timeout=0.2))


# -- chat and streaming ---------------------------------------------------------------------

MODEL = ModelInfo("groq", "llama-3.3-70b-versatile", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


async def test_chat_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI's documented shape with Groq's `x_groq` and timing fields (none recorded)."""
    completion = {
        "id": "chatcmpl-5f1c",
        "object": "chat.completion",
        "created": 1_763_400_000,
        "model": MODEL.name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi!"},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "queue_time": 0.02,
            "prompt_tokens": 12,
            "prompt_time": 0.002,
            "completion_tokens": 3,
            "completion_time": 0.01,
            "total_tokens": 15,
            "total_time": 0.012,
        },
        "system_fingerprint": "fp_3f39b5a9e5",
        "x_groq": {"id": "req_01k9"},
    }
    server.route("POST", f"{BASE}/chat/completions", Reply(body=completion))

    response = await GroqProvider().chat(ctx, MODEL, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == "groq/llama-3.3-70b-versatile"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (12, 3)
    sent = server.requests[-1]
    assert sent.json()["model"] == "llama-3.3-70b-versatile"
    assert sent.json()["max_tokens"] == 32
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI-shaped chunks (none recorded); Groq puts its usage in the last one's `x_groq`."""
    usage = {"x_groq": {"id": "req_01k9", "usage": {"prompt_tokens": 12, "completion_tokens": 3}}}
    events = [chunk("Hi"), chunk(" there"), chunk("", "stop", **usage)]
    server.route("POST", f"{BASE}/chat/completions", Reply.sse(events))

    chunks = [c async for c in GroqProvider().stream(ctx, MODEL, REQUEST)]

    assert "".join(c.content for c in chunks) == "Hi there"
    assert chunks[-1].finish_reason == "stop"
    assert server.requests[-1].json()["stream"] is True


async def test_a_stream_cut_after_the_first_chunk_is_interrupted(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply.sse([chunk("Hi"), chunk(" th")], cut_after_events=1),
    )

    received: list[str] = []
    with pytest.raises(StreamInterruptedError, match="connection lost"):
        await collect_text(GroqProvider().stream(ctx, MODEL, REQUEST), received)

    assert received == ["Hi"]


RETRY_HEADERS = {
    # What Groq sends with a 429 (https://console.groq.com/docs/rate-limits): Retry-After
    # in whole seconds, and per-limit resets as Go-style durations.
    "retry-after": "51",
    "x-ratelimit-limit-requests": "1000",
    "x-ratelimit-limit-tokens": "7000",
    "x-ratelimit-remaining-requests": "999",
    "x-ratelimit-remaining-tokens": "0",
    "x-ratelimit-reset-requests": "1m26.4s",
    "x-ratelimit-reset-tokens": "50.597142857s",
}
WITHOUT_RETRY_AFTER = {k: v for k, v in RETRY_HEADERS.items() if k != "retry-after"}


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        pytest.param(RETRY_HEADERS, 51.0, id="retry-after"),
        pytest.param(WITHOUT_RETRY_AFTER, 50.597142857, id="exhausted-token-reset"),
        pytest.param({}, 50.597142857, id="the-message-alone"),
    ],
)
async def test_the_recorded_429_says_when_to_come_back(
    server: RecordingServer,
    ctx: ProviderContext,
    headers: dict[str, str],
    wait: float,
) -> None:
    server.route("POST", f"{BASE}/chat/completions", Reply.json_file(RATE_LIMIT_FILE, 429, headers))

    with pytest.raises(RateLimitedError, match="tokens per minute") as caught:
        await GroqProvider().chat(ctx, MODEL, REQUEST)

    assert caught.value.retry_after == pytest.approx(wait)
    assert caught.value.provider == "groq"
    assert caught.value.model == "llama-3.3-70b-versatile"


async def test_a_429_before_the_stream_starts_is_a_rate_limit(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route(
        "POST", f"{BASE}/chat/completions", Reply.json_file(RATE_LIMIT_FILE, 429, RETRY_HEADERS)
    )

    with pytest.raises(RateLimitedError) as caught:
        [c async for c in GroqProvider().stream(ctx, MODEL, REQUEST)]

    assert caught.value.retry_after == 51.0


async def test_chat_and_stream_need_a_key(server: RecordingServer, http: httpx.AsyncClient) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(MissingAPIKeyError, match="GROQ_API_KEY"):
        await GroqProvider().chat(keyless, MODEL, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in GroqProvider().stream(keyless, MODEL, REQUEST)]

    assert server.requests == []


# -- end to end -----------------------------------------------------------------------------


def neoclone(server: RecordingServer, home: Path, env: dict[str, str]) -> Neoclone:
    return neoclone_with(groq, home, base_url=server.url + BASE, env=env, default_plugins=False)


async def test_neoclone_discovers_and_lists_groq_free_models(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))

    async with neoclone(server, tmp_path, {"GROQ_API_KEY": KEY}) as running:
        [scan] = await running.discover()
        free = running.models(free_only=True)

    assert (scan.provider, scan.status, scan.models) == ("groq", ScanStatus.SCANNED, 12)
    assert len(free) == 12
    assert "groq/openai/gpt-oss-120b" in {m.id for m in free}
    assert server.hits("GET", f"{BASE}/models") == 1


async def test_neoclone_skips_groq_without_a_key_with_a_one_line_reason(
    server: RecordingServer, tmp_path: Path
) -> None:
    async with neoclone(server, tmp_path, {}) as running:
        [scan] = await running.discover()
        listed = running.models()

    assert scan.status == ScanStatus.SKIPPED
    assert scan.message == "groq: no API key (set GROQ_API_KEY)"
    # never scanned: only the bundled snapshot's entries, nothing from a live scan
    assert {m.source for m in listed} <= {Source.SNAPSHOT}
    assert server.requests == []
