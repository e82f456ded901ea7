"""The OpenRouter provider against its recorded model list, replayed on 127.0.0.1.

The expected numbers are computed here from the raw recording with the rules written
out plainly, not by calling the code under test.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_openrouter as openrouter
import pytest
from neoclone_provider_openrouter import OpenRouterProvider

from neoclone_core import (
    Capability,
    ChatRequest,
    ModelInfo,
    Pricing,
    Provider,
    ProviderContext,
    RateLimit,
)
from neoclone_core.errors import MalformedResponseError, MissingAPIKeyError, RateLimitedError
from neoclone_core.testing import (
    RecordingServer,
    Reply,
    completion_chunk,
    neoclone_with,
    provider_context,
)

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "openrouter-models-2025-05.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
BASE = "/api/v1"
NOW = 1_777_417_200.0  # one hour before the reset in the recorded 429 (1777420800000 ms)
KEY = "sk-or-v1-" + "0123456789abcdef" * 4
FREE_LIMITS = RateLimit(requests_per_minute=20, requests_per_day=50)


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY
) -> ProviderContext:
    return provider_context(OpenRouterProvider(), server.url + BASE, http, key=key, now=NOW)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))
    return context(server, http)


async def discovered(ctx: ProviderContext) -> dict[str, ModelInfo]:
    return {m.name: m for m in await OpenRouterProvider().discover(ctx)}


def is_text_model(entry: dict[str, Any]) -> bool:
    return "text" in entry["architecture"]["output_modalities"]


def is_zero_priced(entry: dict[str, Any]) -> bool:
    return bool(entry["pricing"]["prompt"] == "0" and entry["pricing"]["completion"] == "0")


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_openrouter_provider() -> None:
    registered: list[Provider] = []

    openrouter.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "openrouter"
    assert provider.default_base_url == "https://openrouter.ai/api/v1"
    assert provider.api_key_env == "OPENROUTER_API_KEY"


# -- discovery ------------------------------------------------------------------------------


async def test_the_recording_yields_the_numbers_the_free_rules_give(ctx: ProviderContext) -> None:
    suffix_free = {e["id"] for e in RAW if e["id"].endswith(":free")}
    zero_priced_text = {e["id"] for e in RAW if is_zero_priced(e) and is_text_model(e)}
    text_models = {e["id"] for e in RAW if is_text_model(e)}

    models = await discovered(ctx)

    assert len(RAW) == 321
    assert len(suffix_free) == 68
    assert set(models) == text_models
    free = {name for name, m in models.items() if m.free}
    assert suffix_free <= free
    assert free == suffix_free | zero_priced_text
    assert len(free) == 68 + len(zero_priced_text - suffix_free) == 69
    assert all(models[n].rate_limit == FREE_LIMITS for n in free)
    assert all(m.rate_limit == RateLimit() for n, m in models.items() if n not in free)


async def test_capability_counts_follow_the_recorded_fields(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    def count(capability: Capability) -> int:
        return sum(capability in m.capabilities for m in models.values())

    assert count(Capability.TEXT) == count(Capability.STREAMING) == len(RAW)
    assert count(Capability.VISION) == sum(
        "image" in e["architecture"]["input_modalities"] for e in RAW
    )
    assert count(Capability.TOOLS) == sum("tools" in e["supported_parameters"] for e in RAW)
    assert count(Capability.REASONING) == sum(
        bool({"reasoning", "include_reasoning"} & set(e["supported_parameters"])) for e in RAW
    )


async def test_known_free_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    llama = models["meta-llama/llama-3.3-8b-instruct:free"]
    assert llama.id == "openrouter/meta-llama/llama-3.3-8b-instruct:free"
    assert llama.display_name == "Meta: Llama 3.3 8B Instruct (free)"
    assert llama.context_length == 128_000
    assert llama.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}
    assert llama.free
    assert llama.pricing == Pricing(0.0, 0.0)

    kimi = models["moonshotai/kimi-vl-a3b-thinking:free"]
    assert kimi.capabilities == {
        Capability.TEXT,
        Capability.STREAMING,
        Capability.VISION,
        Capability.REASONING,
    }

    devstral = models["mistralai/devstral-small:free"]
    assert devstral.context_length == 131_072
    assert Capability.CODE in devstral.capabilities

    gemini = models["google/gemini-2.5-pro-exp-03-25"]  # zero-priced without ":free"
    assert gemini.free
    assert gemini.rate_limit == FREE_LIMITS


async def test_variable_prices_are_unknown_and_not_free(ctx: ProviderContext) -> None:
    auto = (await discovered(ctx))["openrouter/auto"]

    assert not auto.free
    assert auto.pricing == Pricing(None, None)
    assert auto.context_length == 2_000_000  # top_provider says null; the entry says 2M


async def test_prices_become_exact_usd_per_million_tokens(ctx: ProviderContext) -> None:
    opus = (await discovered(ctx))["anthropic/claude-opus-4"]

    assert opus.pricing == Pricing(15.0, 75.0)
    assert not opus.free
    assert Capability.CODE not in opus.capabilities  # its description praises coding only


async def test_the_listing_sends_the_key_when_set_and_works_without(
    server: RecordingServer, http: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    await OpenRouterProvider().discover(ctx)
    await OpenRouterProvider().discover(context(server, http, key=None))

    with_key, without_key = server.requests
    assert with_key.headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in without_key.headers


def entry(model_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": model_id,
        "name": model_id.title(),
        "context_length": 4096,
        "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
        "pricing": {"prompt": "0", "completion": "0"},
        "supported_parameters": [],
        **fields,
    }


async def test_malformed_entries_are_skipped_with_a_warning(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {
        "data": [
            entry("good/model"),
            {"name": "no id at all"},
            entry("bad/price", pricing={"prompt": "free", "completion": "0"}),
            "not an object",
            entry("bad/pricing", pricing=["0", "0"]),
        ]
    }
    server.route("GET", f"{BASE}/models", Reply(body=document))

    models = await OpenRouterProvider().discover(context(server, http))

    assert [m.name for m in models] == ["good/model"]
    skipped = [e for e in captured if e["event"] == "neoclone.model_skipped"]
    assert [(e["entry"], e["log_level"]) for e in skipped] == [
        ("#1", "warning"),
        ("bad/price", "warning"),
        ("#3", "warning"),
        ("bad/pricing", "warning"),
    ]


async def test_zero_priced_models_without_text_output_are_not_listed(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    music = entry("vendor/music-gen", architecture={"output_modalities": ["audio"]})
    image = entry("vendor/image-gen", architecture={"modality": "text->image"})
    server.route("GET", f"{BASE}/models", Reply(body={"data": [music, image, entry("a/chat")]}))

    models = await OpenRouterProvider().discover(context(server, http))

    assert [m.name for m in models] == ["a/chat"]


@pytest.mark.parametrize("document", [{"models": []}, [], {"data": {"id": "x"}}])
async def test_a_document_without_a_data_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient, document: object
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body=document))

    with pytest.raises(MalformedResponseError, match="no 'data' list"):
        await OpenRouterProvider().discover(context(server, http))


# -- chat and streaming ---------------------------------------------------------------------

FREE_MODEL = ModelInfo("openrouter", "meta-llama/llama-3.3-8b-instruct:free", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


async def test_chat_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """No recorded OpenRouter chat body exists in the shared recordings: this one is
    written in OpenAI's documented shape with OpenRouter's extra `provider` field."""
    completion = {
        "id": "gen-1747990000-abc",
        "provider": "Meta",
        "model": FREE_MODEL.name,
        "object": "chat.completion",
        "created": 1_747_990_000,
        "choices": [
            {
                "logprobs": None,
                "finish_reason": "stop",
                "native_finish_reason": "stop",
                "index": 0,
                "message": {"role": "assistant", "content": "Hi!", "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    }
    server.route("POST", f"{BASE}/chat/completions", Reply(body=completion))

    response = await OpenRouterProvider().chat(ctx, FREE_MODEL, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == FREE_MODEL.id
    assert response.usage.completion_tokens == 3
    sent = server.requests[-1]
    assert sent.json()["model"] == "meta-llama/llama-3.3-8b-instruct:free"
    assert sent.json()["max_tokens"] == 32
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-title"] == "neoclone"


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI-shaped chunks (none recorded), with OpenRouter's keep-alive comment first."""

    def chunk(content: str, finish_reason: str | None = None) -> str:
        event = completion_chunk(content, finish_reason, id="gen-1")
        return "data: " + json.dumps(event) + "\n\n"

    raw = ": OPENROUTER PROCESSING\n\n" + "".join(map(chunk, ["Hi", " there"]))
    raw += chunk("", "stop") + "data: [DONE]\n\n"
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply(body=raw.encode(), headers={"Content-Type": "text/event-stream"}),
    )

    chunks = [c async for c in OpenRouterProvider().stream(ctx, FREE_MODEL, REQUEST)]

    assert "".join(c.content for c in chunks) == "Hi there"
    assert chunks[-1].finish_reason == "stop"
    assert server.requests[-1].json()["stream"] is True
    assert server.requests[-1].headers["x-title"] == "neoclone"


@pytest.mark.parametrize(
    ("name", "reset_ms", "wait"),
    [
        ("openrouter-429-free-models-per-day.json", "1777420800000", 3600.0),
        ("openrouter-429-free-models-per-day-high-balance.json", str(int(NOW + 45) * 1000), 45.0),
    ],
)
async def test_recorded_rate_limits_say_when_to_come_back(
    server: RecordingServer, ctx: ProviderContext, name: str, reset_ms: str, wait: float
) -> None:
    headers = {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset_ms,
    }
    server.route("POST", f"{BASE}/chat/completions", Reply.json_file(FIXTURES / name, 429, headers))

    with pytest.raises(RateLimitedError, match="free-models-per-day") as caught:
        await OpenRouterProvider().chat(ctx, FREE_MODEL, REQUEST)

    assert caught.value.retry_after == pytest.approx(wait)
    assert caught.value.provider == "openrouter"
    assert KEY not in str(caught.value)


async def test_chat_and_stream_need_a_key(server: RecordingServer, http: httpx.AsyncClient) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(MissingAPIKeyError, match="OPENROUTER_API_KEY") as caught:
        await OpenRouterProvider().chat(keyless, FREE_MODEL, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in OpenRouterProvider().stream(keyless, FREE_MODEL, REQUEST)]

    assert caught.value.env_var == "OPENROUTER_API_KEY"
    assert server.requests == []


# -- end to end -----------------------------------------------------------------------------


async def test_neoclone_discovers_and_lists_openrouter_free_models(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))

    async with neoclone_with(openrouter, tmp_path, base_url=server.url + BASE) as neoclone:
        [scan] = await neoclone.discover()
        free = neoclone.models(free_only=True)

    assert (scan.provider, str(scan.status), scan.models) == ("openrouter", "scanned", 321)
    assert len(free) == 69
    assert {m.provider for m in free} == {"openrouter"}
    assert "openrouter/deepseek/deepseek-r1:free" in {m.id for m in free}
    assert server.hits("GET", f"{BASE}/models") == 1
