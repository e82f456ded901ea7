"""The Together provider against its model list, replayed on 127.0.0.1.

Together's list here is SYNTHETIC (shared/fixtures/synthetic/together-models.json, built
from the documented schema; no public recording exists), so these tests pin the rules
more than the data. Expected numbers are computed from the raw file with the rules
written out plainly, not by calling the code under test.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_together as together
import pytest
from neoclone_provider_together import TogetherProvider

from neoclone_core import Access, Capability, ModelInfo, Pricing, ProviderContext, RateLimit
from neoclone_core.errors import ModelNotFoundError, RateLimitedError
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import REQUEST, OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest, chat_completion

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "together-models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())
TOGETHER = ProviderUnderTest(TogetherProvider, "/v1", listing=MODELS_FILE, key="tgp_v1_key")
CHAT = "/v1/chat/completions"
FREE_LLAMA = "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free"
FREE_MODEL = ModelInfo("together", FREE_LLAMA)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return TOGETHER.served(server, http)


def entry(model_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": model_id,
        "type": "chat",
        "display_name": model_id.title(),
        "context_length": 8192,
        "pricing": {"hourly": 0, "input": 0, "output": 0, "base": 0, "finetune": 0},
        **fields,
    }


# -- discovery ------------------------------------------------------------------------------


async def test_no_model_is_free_since_together_ended_its_free_tier(
    ctx: ProviderContext,
) -> None:
    """The list (written before the free tier ended) still names two zero-priced `-Free`
    chat models; neither is free now."""
    chat = {e["id"] for e in RAW if e["type"] == "chat"}
    zero_priced_free_ids = {
        e["id"]
        for e in RAW
        if e["type"] == "chat"
        and e["pricing"]["input"] == 0
        and e["pricing"]["output"] == 0
        and e["id"].lower().endswith("-free")
    }

    models = await TOGETHER.discovered(ctx)

    assert (len(RAW), len(chat), len(zero_priced_free_ids)) == (5, 3, 2)
    assert set(models) == chat
    assert not any(m.free for m in models.values())
    assert all(m.rate_limit == RateLimit() for m in models.values())


def test_the_provider_says_it_has_no_free_tier() -> None:
    tier = TogetherProvider().free_tier

    assert tier is not None and tier.access is Access.PAID
    assert "support.together.ai" in tier.source


async def test_known_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await TOGETHER.discovered(ctx)

    llama = models[FREE_LLAMA]
    assert llama.id == f"together/{FREE_LLAMA}"
    assert llama.display_name == "Meta Llama 3.3 70B Instruct Turbo Free"
    assert llama.context_length == 131_072
    assert llama.pricing == Pricing(0.0, 0.0)
    assert llama.capabilities == {Capability.TEXT, Capability.STREAMING}
    assert not llama.free  # zero-priced and named -Free, but retired from a free tier

    distill = models["deepseek-ai/DeepSeek-R1-Distill-Llama-70B-free"]
    assert not distill.free
    assert distill.context_length == 8192
    assert Capability.REASONING in distill.capabilities

    paid = models["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert paid.pricing == Pricing(0.88, 0.88)
    assert not paid.free


async def test_image_and_embedding_models_are_not_chat_models(ctx: ProviderContext) -> None:
    models = await TOGETHER.discovered(ctx)

    assert "black-forest-labs/FLUX.1-schnell-Free" not in models  # free, but an image model
    assert "togethercomputer/m2-bert-80M-32k-retrieval" not in models


async def test_neither_a_zero_price_nor_a_free_suffix_makes_a_model_free(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    """Dedicated-endpoint-only models show no per-token price; they are not free."""
    document = [
        entry("vendor/dedicated-only-model"),
        entry("vendor/priced-Free", pricing={"input": 0.2, "output": 0}),
        entry("vendor/model-Free"),
        entry("vendor/unpriced-Free", pricing=None),
    ]
    models = {m.name: m for m in await TOGETHER.listed(server, http, document)}

    assert {name for name, m in models.items() if m.free} == set()
    assert models["vendor/dedicated-only-model"].pricing == Pricing(0.0, 0.0)
    assert models["vendor/unpriced-Free"].pricing == Pricing(None, None)


async def test_the_parser_tolerates_other_shapes(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    untyped = entry("vendor/untyped-Free", pricing={"input": "0", "output": "0.0"})
    del untyped["type"]
    document = {"data": [untyped, entry("vendor/base", type="language")]}
    [model] = await TOGETHER.listed(server, http, document)

    assert model.name == "vendor/untyped-Free"
    assert model.pricing == Pricing(0.0, 0.0)


async def test_entries_with_unreadable_prices_are_skipped_with_a_warning(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = [
        entry("good/model"),
        entry("bad/price", pricing={"input": "free", "output": 0}),
        entry("bad/pricing", pricing=[0, 0]),
    ]

    models = await TOGETHER.listed(server, http, document)

    assert [m.name for m in models] == ["good/model"]
    skipped = [e["entry"] for e in captured if e["event"] == "neoclone.model_skipped"]
    assert skipped == ["bad/price", "bad/pricing"]


# -- chat: Together's own errors ------------------------------------------------------------


async def test_a_model_without_a_serverless_endpoint_is_not_found_not_a_bad_request(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """The body as public reports quote Together's answer (2025-26). The shared mapping
    reads a 400 as BadRequestError, which ends the request; another model can serve it."""
    message = (
        "Unable to access non-serverless model Qwen/Qwen3-VL-8B-Instruct. Please visit "
        "https://api.together.ai/models/Qwen/Qwen3-VL-8B-Instruct to create and start a new "
        "dedicated endpoint for the model."
    )
    body = {
        "id": "oyGk652-2kFHot-a333e6076c7fc6ca",
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": None,
            "code": "model_not_available",
        },
    }
    server.route("POST", CHAT, Reply(400, body=body))
    model = ModelInfo("together", "Qwen/Qwen3-VL-8B-Instruct")

    with pytest.raises(ModelNotFoundError, match="non-serverless") as caught:
        await TogetherProvider().chat(ctx, model, REQUEST)
    with pytest.raises(ModelNotFoundError):
        [c async for c in TogetherProvider().stream(ctx, model, REQUEST)]

    assert caught.value.status == 400
    assert caught.value.model == "Qwen/Qwen3-VL-8B-Instruct"


async def test_a_spending_limit_is_a_quota_not_a_bad_request(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    body = {"error": {"message": "Credit limit exceeded", "type": "credit_limit"}}
    server.route("POST", CHAT, Reply(402, body=body))

    with pytest.raises(RateLimitedError, match="Credit limit exceeded") as caught:
        await TogetherProvider().chat(ctx, FREE_MODEL, REQUEST)

    assert caught.value.status == 402


class TestTogetherContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract): a
    bare JSON array for a list; answers with the `prompt` array Together adds (OpenAI's
    shape; none recorded). No 429 is recorded either: its body follows the error type
    Together's rate-limit page names, and `x-ratelimit-reset` is "the time until the
    rate limit resets"."""

    plugin = together
    provider_class = TogetherProvider
    model_name = FREE_LLAMA
    listing = Reply.json_file(MODELS_FILE)
    listing_key = None
    completion = chat_completion("Hi!", model=FREE_LLAMA, prompt=[])
    rate_limited = Reply(
        429,
        {"x-ratelimit-limit": "1", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"},
        {"error": {"message": "You have been rate limited.", "type": "dynamic_request_limited"}},
    )
    rate_limited_wait = 2.0
    rate_limited_says = "You have been rate limited"

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        return entry(model_name)
