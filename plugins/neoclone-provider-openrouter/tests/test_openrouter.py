"""The OpenRouter provider against its recorded model list, replayed on 127.0.0.1.

The expected numbers are computed here from the raw recording with the rules written
out plainly, not by calling the code under test.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import attrs
import httpx
import neoclone_provider_openrouter as openrouter
import pytest
from neoclone_provider_openrouter import OpenRouterProvider

from neoclone_core import Capability, Pricing, ProviderContext, RateLimit
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest, chat_completion

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "openrouter-models-2025-05.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
NOW = 1_777_417_200.0  # one hour before the reset in the recorded 429 (1777420800000 ms)
KEY = "sk-or-v1-" + "0123456789abcdef" * 4
OPENROUTER = ProviderUnderTest(OpenRouterProvider, "/api/v1", MODELS_FILE, key=KEY, now=NOW)
FREE_LIMITS = RateLimit(requests_per_minute=20, requests_per_day=50)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return OPENROUTER.served(server, http)


def is_text_model(entry: dict[str, Any]) -> bool:
    """A chat model: text out and nothing else, and no guard (classifier) or base model
    by its id or name."""
    names = f"{entry['id']} {entry['name']}".lower()
    return (
        entry["architecture"]["output_modalities"] == ["text"]
        and "guard" not in names
        and "base" not in names.replace("-", " ").replace("(", " ").replace(")", " ").split()
    )


def is_zero_priced(entry: dict[str, Any]) -> bool:
    return bool(entry["pricing"]["prompt"] == "0" and entry["pricing"]["completion"] == "0")


# -- discovery ------------------------------------------------------------------------------


async def test_the_recording_yields_the_numbers_the_free_rules_give(ctx: ProviderContext) -> None:
    suffix_free = {e["id"] for e in RAW if e["id"].endswith(":free")}
    zero_priced_text = {e["id"] for e in RAW if is_zero_priced(e) and is_text_model(e)}
    text_models = {e["id"] for e in RAW if is_text_model(e)}

    models = await OPENROUTER.discovered(ctx)

    assert len(RAW) == 321
    assert len(suffix_free) == 68
    assert set(models) == text_models
    free = {name for name, m in models.items() if m.free}
    assert free == (suffix_free & text_models) | zero_priced_text
    # two :free base models are no chat models: llama-3.1-405b:free, deepseek-v3-base:free
    assert len(free) == 66 + len(zero_priced_text - suffix_free) == 67
    assert all(models[n].rate_limit == FREE_LIMITS for n in free)
    assert all(m.rate_limit == RateLimit() for n, m in models.items() if n not in free)


async def test_capability_counts_follow_the_recorded_fields(ctx: ProviderContext) -> None:
    models = await OPENROUTER.discovered(ctx)

    def count(capability: Capability) -> int:
        return sum(capability in m.capabilities for m in models.values())

    chat = [e for e in RAW if is_text_model(e)]
    assert count(Capability.TEXT) == count(Capability.STREAMING) == len(chat) == len(RAW) - 6
    assert count(Capability.VISION) == sum(
        "image" in e["architecture"]["input_modalities"] for e in chat
    )
    assert count(Capability.TOOLS) == sum("tools" in e["supported_parameters"] for e in chat)
    assert count(Capability.REASONING) == sum(
        bool({"reasoning", "include_reasoning"} & set(e["supported_parameters"])) for e in chat
    )


async def test_known_free_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await OPENROUTER.discovered(ctx)

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
    auto = (await OPENROUTER.discovered(ctx))["openrouter/auto"]

    assert not auto.free
    assert auto.pricing == Pricing(None, None)
    assert auto.context_length == 2_000_000  # top_provider says null; the entry says 2M


async def test_prices_become_exact_usd_per_million_tokens(ctx: ProviderContext) -> None:
    opus = (await OPENROUTER.discovered(ctx))["anthropic/claude-opus-4"]

    assert opus.pricing == Pricing(15.0, 75.0)
    assert not opus.free
    assert Capability.CODE not in opus.capabilities  # its description praises coding only


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


async def test_entries_with_unreadable_prices_are_skipped_with_a_warning(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {
        "data": [
            entry("good/model"),
            entry("bad/price", pricing={"prompt": "free", "completion": "0"}),
            entry("bad/pricing", pricing=["0", "0"]),
        ]
    }

    models = await OPENROUTER.listed(server, http, document)

    assert [m.name for m in models] == ["good/model"]
    skipped = [e for e in captured if e["event"] == "neoclone.model_skipped"]
    assert [(e["entry"], e["log_level"]) for e in skipped] == [
        ("bad/price", "warning"),
        ("bad/pricing", "warning"),
    ]


async def test_zero_priced_models_without_text_output_are_not_listed(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    music = entry("vendor/music-gen", architecture={"output_modalities": ["audio"]})
    image = entry("vendor/image-gen", architecture={"modality": "text->image"})
    document = {"data": [music, image, entry("a/chat")]}

    models = await OPENROUTER.listed(server, http, document)

    assert [m.name for m in models] == ["a/chat"]


# -- the recorded 429s ---------------------------------------------------------------------


def reset_at(reset_ms: str) -> dict[str, str]:
    """The headers OpenRouter sends with a 429: the reset in epoch milliseconds."""
    return {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset_ms}


class TestOpenRouterContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract): a
    public list; its app header on every request; answers with OpenRouter's extra
    `provider` field (OpenAI's shape; no chat body is recorded); a recorded 429."""

    plugin = openrouter
    provider_class = OpenRouterProvider
    model_name = "meta-llama/llama-3.3-70b-instruct:free"
    now = NOW
    listing = Reply.json_file(MODELS_FILE)
    completion = chat_completion("Hi!", provider="Meta", model=model_name)
    rate_limited = Reply.json_file(
        FIXTURES / "openrouter-429-free-models-per-day.json", 429, reset_at("1777420800000")
    )
    rate_limited_wait = 3600.0
    rate_limited_says = "free-models-per-day"
    rate_limited_also = (
        (
            Reply.json_file(
                FIXTURES / "openrouter-429-free-models-per-day-high-balance.json",
                429,
                reset_at(str(int(NOW + 45) * 1000)),
            ),
            45.0,
        ),
    )

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        return entry(model_name)


# -- honest free flags and provider figures --------------------------------------------------

LYRIA_FILE = FIXTURES / "openrouter-models-lyria-2026-10.json"


async def test_zero_priced_music_models_are_not_free_chat_models(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    """The Lyria entries of OpenRouter's list of 2026-10-04: zero prices, `text+audio` out."""
    lyria = json.loads(LYRIA_FILE.read_bytes())

    assert all(e["pricing"] == {"prompt": "0", "completion": "0"} for e in lyria["data"])
    assert await OPENROUTER.listed(server, http, lyria) == []


async def test_benchmark_scores_are_kept_on_the_model(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    """`benchmarks.artificial_analysis` as OpenRouter's SDKs document it (AABenchmarkEntry)."""
    entry = dict(RAW[0])
    entry["benchmarks"] = {
        "artificial_analysis": {
            "agentic_index": 55.8,
            "coding_index": None,
            "intelligence_index": 71.4,
        }
    }

    [model] = await OPENROUTER.listed(server, http, {"data": [entry]})

    assert model.figures.benchmark("artificial_analysis.intelligence_index") == 71.4
    assert model.figures.benchmark("artificial_analysis.agentic_index") == 55.8
    assert model.figures.benchmark("artificial_analysis.coding_index") is None  # null: absent
    assert model.figures.uptime is None


def _endpoint(uptime: float | None, p50: float | None) -> dict[str, Any]:
    """One endpoint of `GET /models/{id}/endpoints` as OpenRouter's SDKs document it
    (PublicEndpoint): uptime in percent, latency percentiles in milliseconds."""
    return {
        "name": "Chutes | deepseek/deepseek-chat-v3-0324:free",
        "context_length": 163_840,
        "pricing": {"prompt": "0", "completion": "0"},
        "provider_name": "Chutes",
        "uptime_last_30m": uptime,
        "latency_last_30m": None if p50 is None else {"p50": p50, "p75": p50 * 2},
    }


async def test_endpoint_figures_are_read_for_free_models_when_asked(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    free_entry = next(e for e in RAW if e["id"].endswith(":free"))
    paid_entry = next(e for e in RAW if e["pricing"]["prompt"] not in ("0", "-1"))
    document = {
        "data": {
            "id": free_entry["id"],
            "endpoints": [_endpoint(97.5, 850.0), _endpoint(99.5, 1200.0), _endpoint(None, 10.0)],
        }
    }
    OPENROUTER.serve_listing(server, Reply(body={"data": [free_entry, paid_entry]}))
    server.route("GET", f"/api/v1/models/{free_entry['id']}/endpoints", Reply(body=document))
    ctx = attrs.evolve(OPENROUTER.context(server, http), options={"endpoint_figures": True})

    free, paid = await OpenRouterProvider().discover(ctx)

    assert free.figures.uptime == 0.995  # the most available endpoint's
    assert free.figures.latency_s == 1.2
    assert paid.figures.uptime is None
    assert [r.path for r in server.requests].count(
        f"/api/v1/models/{free_entry['id']}/endpoints"
    ) == 1


async def test_endpoint_figures_are_not_asked_for_by_default(ctx: ProviderContext) -> None:
    models = await OPENROUTER.discovered(ctx)

    assert all(m.figures.uptime is None for m in models.values())


async def test_a_failing_endpoints_call_keeps_the_model(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    free_entry = next(e for e in RAW if e["id"].endswith(":free"))
    OPENROUTER.serve_listing(server, Reply(body={"data": [free_entry]}))
    server.route("GET", f"/api/v1/models/{free_entry['id']}/endpoints", Reply(status=500, body={}))
    ctx = attrs.evolve(OPENROUTER.context(server, http), options={"endpoint_figures": True})

    [model] = await OpenRouterProvider().discover(ctx)

    assert model.free and model.figures.uptime is None


def test_the_free_tier_says_prompts_may_train() -> None:
    tier = OpenRouterProvider().free_tier

    assert tier is not None and tier.trains_on_prompts
    assert tier.source.startswith("https://openrouter.ai/")
    assert tier.checked


# -- the account's own daily limit ------------------------------------------------------------


def key_document(limit: object) -> dict[str, Any]:
    """`GET /api/v1/key` as OpenRouter's SDKs document it (GetCurrentKeyResponse, with
    `free_model_daily_requests` as FreeModelDailyRequests: limit, remaining, used)."""
    return {
        "data": {
            "label": "sk-or-v1-au7...890",
            "limit": None,
            "limit_remaining": None,
            "usage": 25.5,
            "is_free_tier": False,
            "free_model_daily_requests": {"limit": limit, "remaining": 38, "used": 12},
        }
    }


async def test_a_key_brings_the_accounts_daily_limit_for_free_models(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", "/api/v1/key", Reply(body=key_document(1000)))
    ctx = OPENROUTER.served(server, http)

    models = await OPENROUTER.discovered(ctx)

    free = [m for m in models.values() if m.free]
    assert free and all(m.rate_limit == RateLimit(20, 1000) for m in free)
    assert all(m.rate_limit == RateLimit() for m in models.values() if not m.free)
    [key_request] = [r for r in server.requests if r.path == "/api/v1/key"]
    assert key_request.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("reply", [Reply(body=key_document(None)), Reply(status=500, body={})])
async def test_without_a_readable_account_limit_the_documented_one_stands(
    server: RecordingServer, http: httpx.AsyncClient, reply: Reply
) -> None:
    server.route("GET", "/api/v1/key", reply)
    ctx = OPENROUTER.served(server, http)

    models = await OPENROUTER.discovered(ctx)

    assert all(m.rate_limit == FREE_LIMITS for m in models.values() if m.free)


async def test_without_a_key_the_key_endpoint_is_not_asked(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    OPENROUTER.serve_listing(server, Reply.json_file(MODELS_FILE))

    await OpenRouterProvider().discover(OPENROUTER.context(server, http, key=None))

    assert [r.path for r in server.requests] == ["/api/v1/models"]
