"""The Hugging Face router provider against its model list, replayed on 127.0.0.1.

The only recording is the documented example of `GET /v1/models` (one model, five
providers; huggingface/hub-docs, docs/inference-providers/hub-api.md). Other lists in
these tests are written in the same documented shape to pin the free rule: free only
where a LIVE provider prices input and output at exactly zero. Expected numbers are
computed from the raw file with the rules written out plainly.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_huggingface as huggingface
import pytest
from neoclone_provider_huggingface import HuggingFaceProvider

from neoclone_core import Capability, ModelInfo, Pricing, ProviderContext, RateLimit
from neoclone_core.errors import ModelNotFoundError, RateLimitedError
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import REQUEST, OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "hf-router-models-docs-example.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
HF = ProviderUnderTest(HuggingFaceProvider, "/v1", listing=MODELS_FILE, key="hf_" + "Ab01" * 8)
CHAT = "/v1/chat/completions"
DEEPSEEK = "deepseek-ai/DeepSeek-V4-Pro"
PINNED = ModelInfo("huggingface", "swiss-ai/Apertus-8B-Instruct:publicai", free=True)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return HF.served(server, http)


def live(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in entry["providers"] if p["status"] == "live"]


def zero_priced(route: dict[str, Any]) -> bool:
    pricing = route.get("pricing", {})
    return bool(pricing.get("input") == 0 and pricing.get("output") == 0)


def route(name: str, status: str = "live", **fields: Any) -> dict[str, Any]:
    return {"provider": name, "status": status, "is_model_author": False, **fields}


def model(model_id: str, *routes: dict[str, Any], outputs: tuple[str, ...] = ("text",)) -> Any:
    return {
        "id": model_id,
        "object": "model",
        "created": 1_776_837_885,
        "owned_by": model_id.partition("/")[0],
        "architecture": {"input_modalities": ["text"], "output_modalities": list(outputs)},
        "providers": list(routes),
    }


async def listed(server: RecordingServer, http: httpx.AsyncClient, *entries: Any) -> Any:
    document = {"object": "list", "data": list(entries)}
    return {m.name: m for m in await HF.listed(server, http, document)}


# -- discovery: the documented example ----------------------------------------------------


async def test_the_documented_list_yields_no_free_model(ctx: ProviderContext) -> None:
    servable = [e for e in RAW if live(e)]
    free = [e for e in RAW if any(zero_priced(p) for p in live(e))]

    models = await HF.discovered(ctx)

    assert (len(RAW), len(servable), len(free)) == (1, 1, 0)
    assert list(models) == [e["id"] for e in servable]
    assert not any(m.free for m in models.values())


async def test_a_paid_model_holds_what_every_live_provider_offers(ctx: ProviderContext) -> None:
    [entry] = RAW
    contexts = [p["context_length"] for p in live(entry) if "context_length" in p]
    prices = [
        (p["pricing"]["input"], p["pricing"]["output"]) for p in live(entry) if "pricing" in p
    ]

    deepseek = (await HF.discovered(ctx))[DEEPSEEK]

    assert deepseek.id == f"huggingface/{DEEPSEEK}"  # the router picks the provider
    assert deepseek.context_length == min(contexts) == 65_536
    assert (deepseek.pricing.input_per_mtok, deepseek.pricing.output_per_mtok) == min(
        prices, key=sum
    )
    assert deepseek.pricing == Pricing(1.69, 3.38)  # novita, the cheapest
    assert deepseek.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}
    assert deepseek.rate_limit == RateLimit()


# -- discovery: the free rule -------------------------------------------------------------


async def test_a_live_zero_priced_provider_makes_a_free_entry_pinned_to_it(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    free_route = route(
        "publicai",
        context_length=32_768,
        pricing={"input": 0, "output": 0},
        supports_tools=False,
    )
    paid_route = route("together", context_length=131_072, pricing={"input": 0.2, "output": 0.6})
    models = await listed(
        server, http, model("swiss-ai/Apertus-8B-Instruct", paid_route, free_route)
    )

    [free] = models.values()
    assert free.name == "swiss-ai/Apertus-8B-Instruct:publicai"
    assert free.id == "huggingface/swiss-ai/Apertus-8B-Instruct:publicai"
    assert free.free
    assert free.pricing == Pricing(0.0, 0.0)
    assert free.context_length == 32_768  # that provider's, not the others'
    assert Capability.TOOLS not in free.capabilities
    assert free.display_name == "swiss-ai/Apertus-8B-Instruct (free on publicai)"


async def test_unknown_prices_and_providers_in_error_are_never_free(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    models = await listed(
        server,
        http,
        model("a/error-route", route("x", "error", pricing={"input": 0, "output": 0}), route("y")),
        model("b/unpriced", route("featherless-ai")),
        model("c/half-priced", route("x", pricing={"input": 0})),
        model("d/credit-only", route("x", pricing={"input": 0.05, "output": 0.1})),
    )

    assert sorted(models) == ["a/error-route", "b/unpriced", "c/half-priced", "d/credit-only"]
    assert not any(m.free for m in models.values())
    assert models["b/unpriced"].pricing == Pricing(None, None)


async def test_models_no_one_serves_or_without_text_output_are_left_out(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    models = await listed(
        server,
        http,
        model("a/down", route("x", "error"), route("y", "staging")),
        model("b/no-providers"),
        model("c/image-gen", route("x", pricing={"input": 0, "output": 0}), outputs=("image",)),
        model("d/ok", route("x")),
    )

    assert list(models) == ["d/ok"]


async def test_tools_are_claimed_only_when_no_live_provider_denies_them(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    models = await listed(
        server,
        http,
        model("a/all-yes", route("x", supports_tools=True), route("y")),
        model("b/one-no", route("x", supports_tools=True), route("y", supports_tools=False)),
        model("c/unsaid", route("x")),
    )

    assert [Capability.TOOLS in m.capabilities for m in models.values()] == [True, False, False]


async def test_capabilities_read_from_modalities_and_ids(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    vision = model("Qwen/Qwen2.5-VL-7B-Instruct", route("x"))
    vision["architecture"]["input_modalities"] = ["text", "image"]
    models = await listed(
        server,
        http,
        vision,
        model("Qwen/Qwen2.5-Coder-32B-Instruct", route("x")),
        model("deepseek-ai/DeepSeek-R1", route("x")),
    )

    assert Capability.VISION in models["Qwen/Qwen2.5-VL-7B-Instruct"].capabilities
    assert Capability.CODE in models["Qwen/Qwen2.5-Coder-32B-Instruct"].capabilities
    assert Capability.REASONING in models["deepseek-ai/DeepSeek-R1"].capabilities


async def test_an_entry_with_odd_providers_is_skipped_odd_routes_are_ignored(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    bad_providers = model("bad/providers")
    bad_providers["providers"] = {"novita": "live"}
    odd_route = model("odd/route", route("x"), "not a route", route("y", pricing="cheap"))

    models = await listed(server, http, bad_providers, odd_route)

    assert list(models) == ["odd/route"]  # odd providers are ignored, not the model
    skipped = [e["entry"] for e in captured if e["event"] == "neoclone.model_skipped"]
    assert skipped == ["bad/providers"]


# -- chat: the router's own errors ----------------------------------------------------------


async def test_spent_credits_are_a_quota_not_a_bad_request(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """The message as public reports quote it (huggingface/agents-course#386); the
    shared mapping reads a 402 as BadRequestError, which would end the request."""
    message = (
        "You have exceeded your monthly included credits for Inference Providers. "
        "Subscribe to PRO to get 20x more monthly included credits."
    )
    server.route("POST", CHAT, Reply(402, body={"error": message}))

    with pytest.raises(RateLimitedError, match="monthly included credits") as caught:
        await HuggingFaceProvider().chat(ctx, PINNED, REQUEST)
    with pytest.raises(RateLimitedError):
        [c async for c in HuggingFaceProvider().stream(ctx, PINNED, REQUEST)]

    assert caught.value.status == 402
    assert caught.value.retry_after is None


async def test_a_model_no_enabled_provider_serves_is_not_found(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """The body as public reports quote the router's answer."""
    body = {
        "error": {
            "message": "The requested model 'HuggingFaceH4/zephyr-7b-beta' is not supported "
            "by any provider you have enabled.",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_supported",
        }
    }
    server.route("POST", CHAT, Reply(400, body=body))

    with pytest.raises(ModelNotFoundError, match="not supported by any provider") as caught:
        await HuggingFaceProvider().chat(ctx, PINNED, REQUEST)

    assert caught.value.status == 400


class TestHuggingFaceContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract): a
    public list, which wants a token when it refuses a request sent without; chat with
    the pinned id of a free route. No router 401 or 429 is recorded: plain error bodies."""

    plugin = huggingface
    provider_class = HuggingFaceProvider
    model_name = PINNED.name
    listing = Reply.json_file(MODELS_FILE)
    rate_limited = Reply(429, {"Retry-After": "12"}, {"error": "Too many requests"})
    rate_limited_wait = 12.0
    rate_limited_says = "Too many requests"
    refused = Reply(401, body={"error": "Invalid credentials"})
    refused_says = "Invalid credentials"

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        return model(model_name, route("novita", pricing={"input": 0.2, "output": 0.6}))
