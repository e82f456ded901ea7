"""The GitHub Models provider against its two recorded catalogs, replayed on 127.0.0.1.

The expected numbers are computed here from the raw recordings with the rules written
out plainly, not by calling the code under test. The documented limits are copied from
GitHub Docs, "Prototyping with AI models", "Rate limits" (Copilot Free column; Copilot
Pro for the models Copilot Free does not serve).
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_github as github
import pytest
from neoclone_provider_github import GitHubModelsProvider

from neoclone_core import (
    Capability,
    ChatRequest,
    ModelInfo,
    Pricing,
    Provider,
    ProviderContext,
    RateLimit,
)
from neoclone_core.errors import (
    AuthenticationError,
    ContextTooLongError,
    MalformedResponseError,
    MissingAPIKeyError,
    ModelNotFoundError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
)
from neoclone_core.testing import RecordingServer, Reply, neoclone_with, provider_context
from neoclone_core.testing import completion_chunk as chunk

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
OLD_CATALOG = FIXTURES / "github-models-catalog-2025-05.json"
NEW_CATALOG = FIXTURES / "github-models-catalog-new-schema-excerpt.json"
RATE_LIMITED = FIXTURES / "github-models-429-ratelimitreached.json"
OLD_RAW: list[dict[str, Any]] = json.loads(OLD_CATALOG.read_bytes())
NEW_RAW: list[dict[str, Any]] = json.loads(NEW_CATALOG.read_bytes())
CATALOG = "/catalog/models"
CHAT = "/inference/chat/completions"
NOW = 1_750_000_000.0
KEY = "github_pat_" + "0123456789abcdefABCDEF" * 3

LOW = RateLimit(requests_per_minute=15, requests_per_day=150)
HIGH = RateLimit(requests_per_minute=10, requests_per_day=50)
CUSTOM = {  # the doc's per-model rows, for the custom-tier models in these recordings
    "openai/o1": RateLimit(1, 8),
    "openai/o1-preview": RateLimit(1, 8),
    "openai/o3": RateLimit(1, 8),
    "openai/gpt-5": RateLimit(1, 8),
    "openai/o1-mini": RateLimit(2, 12),
    "openai/o3-mini": RateLimit(2, 12),
    "openai/o4-mini": RateLimit(2, 12),
    "deepseek/DeepSeek-R1": RateLimit(1, 8),
    "microsoft/MAI-DS-R1": RateLimit(1, 8),
}


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY, timeout: float = 5.0
) -> ProviderContext:
    return provider_context(
        GitHubModelsProvider(), server.url, http, key=key, timeout=timeout, now=NOW
    )


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", CATALOG, Reply.json_file(OLD_CATALOG))
    return context(server, http)


async def discovered(ctx: ProviderContext) -> dict[str, ModelInfo]:
    return {m.name: m for m in await GitHubModelsProvider().discover(ctx)}


def is_chat(entry: dict[str, Any]) -> bool:
    outputs = entry["supported_output_modalities"]
    return entry["rate_limit_tier"] != "embeddings" and (not outputs or "text" in outputs)


def documented_limit(entry: dict[str, Any]) -> RateLimit:
    return {"low": LOW, "high": HIGH}.get(entry["rate_limit_tier"]) or CUSTOM[entry["id"]]


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_github_provider() -> None:
    registered: list[Provider] = []

    github.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "github"
    assert provider.default_base_url == "https://models.github.ai"
    assert provider.api_key_env == "GITHUB_TOKEN"


# -- discovery: the older schema ---------------------------------------------------------


async def test_the_older_catalog_yields_every_chat_model_free(ctx: ProviderContext) -> None:
    chat = [e for e in OLD_RAW if is_chat(e)]

    models = await discovered(ctx)

    assert (len(OLD_RAW), len(chat)) == (56, 52)
    assert [e["id"] for e in OLD_RAW if not is_chat(e)] == [
        "openai/text-embedding-3-large",
        "openai/text-embedding-3-small",
        "cohere/Cohere-embed-v3-english",
        "cohere/Cohere-embed-v3-multilingual",
    ]
    assert list(models) == [e["id"] for e in chat]
    assert all(m.free and m.pricing == Pricing(0.0, 0.0) for m in models.values())


async def test_each_model_carries_its_tier_s_documented_limits(ctx: ProviderContext) -> None:
    chat = [e for e in OLD_RAW if is_chat(e)]
    tiers = [e["rate_limit_tier"] for e in chat]

    models = await discovered(ctx)

    assert (tiers.count("low"), tiers.count("high"), tiers.count("custom")) == (30, 14, 8)
    assert {e["id"]: models[e["id"]].rate_limit for e in chat} == {
        e["id"]: documented_limit(e) for e in chat
    }
    # the free tier's input tokens per request: 8,000 (low, high), 4,000 (custom)
    assert {e["id"]: models[e["id"]].context_length for e in chat} == {
        e["id"]: 4000 if e["rate_limit_tier"] == "custom" else 8000 for e in chat
    }


async def test_known_older_entries_are_read_exactly(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    gpt = models["openai/gpt-4.1"]
    assert gpt.id == "github/openai/gpt-4.1"
    assert gpt.display_name == "OpenAI GPT-4.1"
    assert gpt.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.VISION}
    assert gpt.rate_limit == HIGH

    assert Capability.CODE in models["mistral-ai/Codestral-2501"].capabilities
    r1 = models["deepseek/DeepSeek-R1"]
    assert {Capability.REASONING, Capability.CODE} <= r1.capabilities
    # lists no output modality at all, yet is a chat model
    assert Capability.VISION in models["microsoft/Phi-3.5-vision-instruct"].capabilities
    # tags with a leading space (" large context", " audio") are read stripped
    assert Capability.REASONING in models["microsoft/Phi-4-reasoning"].capabilities


# -- discovery: the newer schema ---------------------------------------------------------


@pytest.fixture
def new_ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", CATALOG, Reply.json_file(NEW_CATALOG))
    return context(server, http)


async def test_the_newer_catalog_reads_capabilities_and_limits(new_ctx: ProviderContext) -> None:
    chat = [e for e in NEW_RAW if is_chat(e)]

    models = await discovered(new_ctx)

    assert (len(NEW_RAW), len(chat)) == (5, 4)
    assert list(models) == [e["id"] for e in chat]
    assert all(m.free for m in models.values())
    for e in chat:
        model = models[e["id"]]
        assert (Capability.TOOLS in model.capabilities) == ("tool-calling" in e["capabilities"])
        assert (Capability.STREAMING in model.capabilities) == ("streaming" in e["capabilities"])
        cap = 4000 if e["rate_limit_tier"] == "custom" else 8000
        assert model.context_length == min(e["limits"]["max_input_tokens"], cap)
        assert model.rate_limit == documented_limit(e)


async def test_known_newer_entries_are_read_exactly(new_ctx: ProviderContext) -> None:
    models = await discovered(new_ctx)

    gpt = models["openai/gpt-4.1"]
    assert gpt.capabilities == {
        Capability.TEXT,
        Capability.STREAMING,
        Capability.TOOLS,
        Capability.VISION,
    }
    assert gpt.context_length == 8000  # its own limit is 1,048,576; the free tier's is 8,000

    preview = models["openai/o1-preview"]
    assert preview.capabilities == {Capability.TEXT, Capability.REASONING, Capability.CODE}
    assert preview.context_length == 4000
    assert models["openai/gpt-5"].rate_limit == RateLimit(1, 8)
    assert "openai/text-embedding-3-large" not in models


async def test_both_schemas_agree_on_the_models_they_share(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", CATALOG, Reply.json_file(OLD_CATALOG), Reply.json_file(NEW_CATALOG))
    older = await discovered(context(server, http))
    newer = await discovered(context(server, http))

    shared = set(older) & set(newer)
    assert shared == {"openai/gpt-4.1", "openai/gpt-4.1-mini", "openai/o1-preview"}
    for name in shared:
        old, new = older[name], newer[name]
        assert (old.free, old.rate_limit, old.context_length) == (
            new.free,
            new.rate_limit,
            new.context_length,
        )


# -- discovery: odd documents ------------------------------------------------------------


def entry(model_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": model_id,
        "name": model_id.title(),
        "rate_limit_tier": "low",
        "supported_input_modalities": ["text"],
        "supported_output_modalities": ["text"],
        "tags": [],
        **fields,
    }


async def test_malformed_entries_are_skipped_with_a_warning(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = [
        entry("good/model"),
        {"name": "no id"},
        entry("bad/limits", limits={"max_input_tokens": -5}),
        None,
        entry("odd/tier", rate_limit_tier=None, tags="not a list"),
    ]
    server.route("GET", CATALOG, Reply(body=document))

    models = await GitHubModelsProvider().discover(context(server, http))

    assert [m.name for m in models] == ["good/model", "bad/limits", "odd/tier"]
    assert models[1].context_length == 8000  # the nonsense limit is ignored
    assert models[2].rate_limit == RateLimit()  # no tier, no documented limit
    skipped = [e["entry"] for e in captured if e["event"] == "neoclone.model_skipped"]
    assert skipped == ["#1", "#3"]


async def test_an_unknown_custom_model_keeps_the_custom_input_cap(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", CATALOG, Reply(body=[entry("vendor/new-model", rate_limit_tier="custom")]))

    [model] = await GitHubModelsProvider().discover(context(server, http))

    assert model.free
    assert model.rate_limit == RateLimit()
    assert model.context_length == 4000


@pytest.mark.parametrize("document", [{"models": []}, {"data": []}, 7])
async def test_a_catalog_that_is_not_a_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient, document: object
) -> None:
    server.route("GET", CATALOG, Reply(body=document))

    with pytest.raises(MalformedResponseError, match="not a JSON array"):
        await GitHubModelsProvider().discover(context(server, http))


async def test_broken_json_instead_of_the_catalog_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    body = b'[{"id": "openai/gpt-4.1", "name": '
    server.route("GET", CATALOG, Reply(body=body, headers={"Content-Type": "application/json"}))

    with pytest.raises(MalformedResponseError, match="invalid JSON"):
        await GitHubModelsProvider().discover(context(server, http))


async def test_a_catalog_that_does_not_answer_in_time_times_out(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", CATALOG, Reply(body=[], delay_s=2.0))

    with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.2s"):
        await GitHubModelsProvider().discover(context(server, http, timeout=0.2))


async def test_the_catalog_sends_the_token_when_set_and_works_without(
    server: RecordingServer, http: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    await GitHubModelsProvider().discover(ctx)
    await GitHubModelsProvider().discover(context(server, http, key=None))

    with_key, without_key = server.requests
    assert with_key.headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in without_key.headers
    assert with_key.headers["x-github-api-version"] == "2022-11-28"


async def test_a_catalog_that_wants_a_token_skips_the_scan_when_none_is_set(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    refused = {"message": "Requires authentication"}
    server.route("GET", CATALOG, Reply(401, body=refused))

    with pytest.raises(MissingAPIKeyError, match="GITHUB_TOKEN"):
        await GitHubModelsProvider().discover(context(server, http, key=None))
    with pytest.raises(AuthenticationError):  # a token was sent and refused: say so
        await GitHubModelsProvider().discover(context(server, http))


# -- chat and streaming ---------------------------------------------------------------------

MODEL = ModelInfo("github", "openai/gpt-4.1-mini", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


async def test_chat_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """No recorded GitHub Models completion exists in the shared set: OpenAI's shape
    with the content-filter fields Azure AI inference adds."""
    completion = {
        "id": "chatcmpl-BQ4",
        "object": "chat.completion",
        "created": 1_750_000_000,
        "model": "gpt-4.1-mini-2025-04-14",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}},
                "message": {"role": "assistant", "content": "Hi!", "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
    }
    server.route("POST", CHAT, Reply(body=completion))

    response = await GitHubModelsProvider().chat(ctx, MODEL, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == "github/openai/gpt-4.1-mini"
    assert response.usage.completion_tokens == 3
    sent = server.requests[-1]
    assert sent.json()["model"] == "openai/gpt-4.1-mini"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-github-api-version"] == "2022-11-28"


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI-shaped chunks (none recorded), led by the choice-less content-filter event
    Azure AI inference sends first."""
    filter_event = {"choices": [], "id": "", "model": "", "prompt_filter_results": []}
    server.route(
        "POST", CHAT, Reply.sse([filter_event, chunk("Hi"), chunk(" there"), chunk("", "stop")])
    )

    chunks = [c async for c in GitHubModelsProvider().stream(ctx, MODEL, REQUEST)]

    assert "".join(c.content for c in chunks) == "Hi there"
    assert chunks[-1].finish_reason == "stop"
    assert server.requests[-1].json()["stream"] is True


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "33"}, 33.0),  # what GitHub sends with it
        ({}, 33.0),  # without the header: "Please wait 33 seconds" in the message
        ({"Retry-After": "60"}, 60.0),  # the header wins over the message
    ],
)
async def test_the_recorded_rate_limit_says_when_to_come_back(
    server: RecordingServer, ctx: ProviderContext, headers: dict[str, str], wait: float
) -> None:
    server.route("POST", CHAT, Reply.json_file(RATE_LIMITED, 429, headers))

    with pytest.raises(RateLimitedError, match="UserByModelByMinuteOutputTokens") as caught:
        await GitHubModelsProvider().chat(ctx, MODEL, REQUEST)

    assert caught.value.retry_after == pytest.approx(wait)
    assert caught.value.provider == "github"
    assert KEY not in str(caught.value)


async def test_the_recorded_rate_limit_stops_a_stream_before_it_starts(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CHAT, Reply.json_file(RATE_LIMITED, 429, {"Retry-After": "33"}))

    with pytest.raises(RateLimitedError) as caught:
        [c async for c in GitHubModelsProvider().stream(ctx, MODEL, REQUEST)]

    assert caught.value.retry_after == pytest.approx(33.0)


def azure_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": message}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # message from public reports (actions/ai-inference#95); the shape is the 429's
        (403, azure_error("no_access", "No access to model: openai/o1"), ModelNotFoundError),
        # gh-models#65 quotes the code; the message follows its "Unknown model: x" sibling
        (400, azure_error("unavailable_model", "Unavailable model: o4-mini"), ModelNotFoundError),
        (
            413,
            azure_error(
                "tokens_limit_reached",
                "Request body too large for gpt-4o model. Max size: 8000 tokens.",
            ),
            ContextTooLongError,
        ),
        (
            410,
            {
                "error": {
                    "code": "github_models_retirement_brownout",
                    "message": "GitHub Models is temporarily unavailable as part of a "
                    "scheduled retirement brownout.",
                }
            },
            ProviderUnavailableError,
        ),
        (401, azure_error("unauthorized", "Bad credentials"), AuthenticationError),
    ],
)
async def test_github_s_errors_map_to_what_fallback_needs(
    server: RecordingServer,
    ctx: ProviderContext,
    status: int,
    body: dict[str, Any],
    expected: type[ProviderError],
) -> None:
    server.route("POST", CHAT, Reply(status, body=body))

    with pytest.raises(ProviderError) as caught:
        await GitHubModelsProvider().chat(ctx, MODEL, REQUEST)
    with pytest.raises(expected):
        [c async for c in GitHubModelsProvider().stream(ctx, MODEL, REQUEST)]

    assert type(caught.value) is expected
    assert caught.value.status == status


async def test_chat_and_stream_need_a_token(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(MissingAPIKeyError, match="GITHUB_TOKEN"):
        await GitHubModelsProvider().chat(keyless, MODEL, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in GitHubModelsProvider().stream(keyless, MODEL, REQUEST)]

    assert server.requests == []


# -- end to end -----------------------------------------------------------------------------


@pytest.mark.parametrize(("catalog", "count"), [(OLD_CATALOG, 52), (NEW_CATALOG, 4)])
async def test_neoclone_discovers_and_lists_github_free_models(
    server: RecordingServer, tmp_path: Path, catalog: Path, count: int
) -> None:
    server.route("GET", CATALOG, Reply.json_file(catalog))
    running = neoclone_with(github, tmp_path, base_url=server.url, env={"GITHUB_TOKEN": KEY})

    async with running as neoclone:
        [result] = await neoclone.discover()
        free = neoclone.models(free_only=True)

    assert (result.provider, str(result.status), result.models) == ("github", "scanned", count)
    assert len(free) == count
    assert "github/openai/gpt-4.1-mini" in {m.id for m in free}
    assert server.hits("GET", CATALOG) == 1
