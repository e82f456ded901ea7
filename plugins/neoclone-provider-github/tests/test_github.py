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
from attrs import evolve
from neoclone_provider_github import GitHubModelsProvider

from neoclone_core import Capability, ModelInfo, Pricing, ProviderContext, RateLimit
from neoclone_core.errors import (
    ContextTooLongError,
    ModelNotFoundError,
    ProviderError,
    ProviderUnavailableError,
)
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import REQUEST, OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest, chat_completion

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
OLD_CATALOG = FIXTURES / "github-models-catalog-2025-05.json"
NEW_CATALOG = FIXTURES / "github-models-catalog-new-schema-excerpt.json"
RATE_LIMITED = FIXTURES / "github-models-429-ratelimitreached.json"
OLD_RAW: list[dict[str, Any]] = json.loads(OLD_CATALOG.read_bytes())
NEW_RAW: list[dict[str, Any]] = json.loads(NEW_CATALOG.read_bytes())
CATALOG = "/catalog/models"
CHAT = "/inference/chat/completions"
GITHUB = ProviderUnderTest(GitHubModelsProvider, "", OLD_CATALOG, CATALOG, key="github_pat_x")
MODEL = ModelInfo("github", "openai/gpt-4.1-mini", free=True)

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


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return GITHUB.served(server, http)


def is_chat(entry: dict[str, Any]) -> bool:
    outputs = entry["supported_output_modalities"]
    return entry["rate_limit_tier"] != "embeddings" and (not outputs or "text" in outputs)


def documented_limit(entry: dict[str, Any]) -> RateLimit:
    return {"low": LOW, "high": HIGH}.get(entry["rate_limit_tier"]) or CUSTOM[entry["id"]]


# -- discovery: the older schema ---------------------------------------------------------


async def test_the_older_catalog_yields_every_chat_model_free(ctx: ProviderContext) -> None:
    chat = [e for e in OLD_RAW if is_chat(e)]

    models = await GITHUB.discovered(ctx)

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

    models = await GITHUB.discovered(ctx)

    assert (tiers.count("low"), tiers.count("high"), tiers.count("custom")) == (30, 14, 8)
    assert {e["id"]: models[e["id"]].rate_limit for e in chat} == {
        e["id"]: documented_limit(e) for e in chat
    }
    # the free tier's input tokens per request: 8,000 (low, high), 4,000 (custom)
    assert {e["id"]: models[e["id"]].context_length for e in chat} == {
        e["id"]: 4000 if e["rate_limit_tier"] == "custom" else 8000 for e in chat
    }


async def test_known_older_entries_are_read_exactly(ctx: ProviderContext) -> None:
    models = await GITHUB.discovered(ctx)

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
    return evolve(GITHUB, listing=NEW_CATALOG).served(server, http)


async def test_the_newer_catalog_reads_capabilities_and_limits(new_ctx: ProviderContext) -> None:
    chat = [e for e in NEW_RAW if is_chat(e)]

    models = await GITHUB.discovered(new_ctx)

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
    models = await GITHUB.discovered(new_ctx)

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
    older = await GITHUB.discovered(GITHUB.context(server, http))
    newer = await GITHUB.discovered(GITHUB.context(server, http))

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


async def test_odd_limits_and_tiers_are_read_as_unknown(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = [
        entry("bad/limits", limits={"max_input_tokens": -5}),
        entry("odd/tier", rate_limit_tier=None, tags="not a list"),
    ]

    models = await GITHUB.listed(server, http, document)

    assert [m.name for m in models] == ["bad/limits", "odd/tier"]
    assert models[0].context_length == 8000  # the nonsense limit is ignored
    assert models[1].rate_limit == RateLimit()  # no tier, no documented limit
    assert [e for e in captured if e["event"] == "neoclone.model_skipped"] == []


async def test_an_unknown_custom_model_keeps_the_custom_input_cap(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    document = [entry("vendor/new-model", rate_limit_tier="custom")]

    [model] = await GITHUB.listed(server, http, document)

    assert model.free
    assert model.rate_limit == RateLimit()
    assert model.context_length == 4000


# -- chat and streaming ---------------------------------------------------------------------


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


class TestGitHubModelsContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract): a
    public catalog, a bare JSON array, which wants a token when it refuses a request
    sent without; its API version header on every request; answers with the
    content-filter fields Azure AI inference adds (OpenAI's shape; no completion is
    recorded); the recorded 429."""

    plugin = github
    provider_class = GitHubModelsProvider
    model_name = MODEL.name
    listing = Reply.json_file(OLD_CATALOG)
    listing_key = None
    completion = chat_completion(
        "Hi!", prompt_filter_results=[{"prompt_index": 0, "content_filter_results": {}}]
    )
    rate_limited = Reply.json_file(RATE_LIMITED, 429, {"Retry-After": "33"})
    rate_limited_wait = 33.0
    rate_limited_says = "UserByModelByMinuteOutputTokens"
    rate_limited_also = (
        (Reply.json_file(RATE_LIMITED, 429), 33.0),  # "Please wait 33 seconds" in the message
        (Reply.json_file(RATE_LIMITED, 429, {"Retry-After": "60"}), 60.0),  # the header wins
    )
    refused = Reply(401, body=azure_error("unauthorized", "Bad credentials"))
    refused_says = "Bad credentials"

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        return entry(model_name)

    def not_a_listing(self) -> tuple[list[object], str]:
        documents, why = super().not_a_listing()
        return [*documents, {"data": []}], why  # OpenAI's shape is no catalog here
