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
    MalformedResponseError,
    MissingAPIKeyError,
    ModelNotFoundError,
    ProviderTimeoutError,
    RateLimitedError,
)
from neoclone_core.testing import RecordingServer, Reply, neoclone_with, provider_context
from neoclone_core.testing import completion_chunk as chunk

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "hf-router-models-docs-example.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
BASE = "/v1"
NOW = 1_750_000_000.0
KEY = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
DEEPSEEK = "deepseek-ai/DeepSeek-V4-Pro"


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY, timeout: float = 5.0
) -> ProviderContext:
    return provider_context(
        HuggingFaceProvider(), server.url + BASE, http, key=key, timeout=timeout, now=NOW
    )


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))
    return context(server, http)


async def discovered(ctx: ProviderContext) -> dict[str, ModelInfo]:
    return {m.name: m for m in await HuggingFaceProvider().discover(ctx)}


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


async def listed(
    server: RecordingServer, http: httpx.AsyncClient, *entries: Any
) -> dict[str, ModelInfo]:
    server.route("GET", f"{BASE}/models", Reply(body={"object": "list", "data": list(entries)}))
    return {m.name: m for m in await HuggingFaceProvider().discover(context(server, http))}


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_huggingface_provider() -> None:
    registered: list[Provider] = []

    huggingface.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "huggingface"
    assert provider.default_base_url == "https://router.huggingface.co/v1"
    assert provider.api_key_env == "HF_TOKEN"


# -- discovery: the documented example ----------------------------------------------------


async def test_the_documented_list_yields_no_free_model(ctx: ProviderContext) -> None:
    servable = [e for e in RAW if live(e)]
    free = [e for e in RAW if any(zero_priced(p) for p in live(e))]

    models = await discovered(ctx)

    assert (len(RAW), len(servable), len(free)) == (1, 1, 0)
    assert list(models) == [e["id"] for e in servable]
    assert not any(m.free for m in models.values())


async def test_a_paid_model_holds_what_every_live_provider_offers(ctx: ProviderContext) -> None:
    [entry] = RAW
    contexts = [p["context_length"] for p in live(entry) if "context_length" in p]
    prices = [
        (p["pricing"]["input"], p["pricing"]["output"]) for p in live(entry) if "pricing" in p
    ]

    deepseek = (await discovered(ctx))[DEEPSEEK]

    assert deepseek.id == f"huggingface/{DEEPSEEK}"  # the router picks the provider
    assert deepseek.context_length == min(contexts) == 65_536
    assert (deepseek.pricing.input_per_mtok, deepseek.pricing.output_per_mtok) == min(
        prices, key=sum
    )
    assert deepseek.pricing == Pricing(1.69, 3.38)  # novita, the cheapest
    assert deepseek.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}
    assert deepseek.rate_limit == RateLimit()


async def test_the_list_is_public_and_the_token_is_sent_when_set(
    server: RecordingServer, http: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    await HuggingFaceProvider().discover(ctx)
    await HuggingFaceProvider().discover(context(server, http, key=None))

    with_key, without_key = server.requests
    assert with_key.headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in without_key.headers


async def test_a_list_that_wants_a_token_skips_the_scan_when_none_is_set(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", f"{BASE}/models", Reply(401, body={"error": "Invalid credentials"}))

    with pytest.raises(MissingAPIKeyError, match="HF_TOKEN"):
        await HuggingFaceProvider().discover(context(server, http, key=None))
    with pytest.raises(AuthenticationError):  # a token was sent and refused: say so
        await HuggingFaceProvider().discover(context(server, http))


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


async def test_malformed_entries_are_skipped_with_a_warning(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    bad_providers = model("bad/providers")
    bad_providers["providers"] = {"novita": "live"}
    odd_route = model("odd/route", route("x"), "not a route", route("y", pricing="cheap"))

    models = await listed(server, http, {"object": "model"}, bad_providers, odd_route, None)

    assert list(models) == ["odd/route"]  # odd providers are ignored, not the model
    skipped = [e["entry"] for e in captured if e["event"] == "neoclone.model_skipped"]
    assert skipped == ["#0", "bad/providers", "#3"]


@pytest.mark.parametrize("document", [[], {"models": []}, {"data": {"id": "x"}}])
async def test_a_document_without_a_data_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient, document: object
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body=document))

    with pytest.raises(MalformedResponseError, match="no 'data' list"):
        await HuggingFaceProvider().discover(context(server, http))


async def test_an_html_page_instead_of_the_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    page = b"<html><head><title>503 Service Temporarily Unavailable</title></head></html>"
    server.route("GET", f"{BASE}/models", Reply(body=page, headers={"Content-Type": "text/html"}))

    with pytest.raises(MalformedResponseError, match="HTML page"):
        await HuggingFaceProvider().discover(context(server, http))


async def test_a_list_that_does_not_answer_in_time_times_out(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body={"data": []}, delay_s=2.0))

    with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.2s"):
        await HuggingFaceProvider().discover(context(server, http, timeout=0.2))


# -- chat and streaming ---------------------------------------------------------------------

PINNED = ModelInfo("huggingface", "swiss-ai/Apertus-8B-Instruct:publicai", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


async def test_chat_round_trip_sends_the_pinned_id(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """No recorded router completion exists: OpenAI's documented shape."""
    completion = {
        "id": "chatcmpl-7d1e",
        "object": "chat.completion",
        "created": 1_750_000_000,
        "model": "swiss-ai/Apertus-8B-Instruct",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Hi!"},
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
    }
    server.route("POST", f"{BASE}/chat/completions", Reply(body=completion))

    response = await HuggingFaceProvider().chat(ctx, PINNED, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == "huggingface/swiss-ai/Apertus-8B-Instruct:publicai"
    sent = server.requests[-1]
    assert sent.json()["model"] == "swiss-ai/Apertus-8B-Instruct:publicai"
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI-shaped chunks (none recorded)."""
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply.sse([chunk("Hi"), chunk(" there"), chunk("", "stop")]),
    )

    chunks = [c async for c in HuggingFaceProvider().stream(ctx, PINNED, REQUEST)]

    assert "".join(c.content for c in chunks) == "Hi there"
    assert chunks[-1].finish_reason == "stop"
    assert server.requests[-1].json()["stream"] is True


async def test_spent_credits_are_a_quota_not_a_bad_request(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """The message as public reports quote it (huggingface/agents-course#386); the
    shared mapping reads a 402 as BadRequestError, which would end the request."""
    message = (
        "You have exceeded your monthly included credits for Inference Providers. "
        "Subscribe to PRO to get 20x more monthly included credits."
    )
    server.route("POST", f"{BASE}/chat/completions", Reply(402, body={"error": message}))

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
    server.route("POST", f"{BASE}/chat/completions", Reply(400, body=body))

    with pytest.raises(ModelNotFoundError, match="not supported by any provider") as caught:
        await HuggingFaceProvider().chat(ctx, PINNED, REQUEST)

    assert caught.value.status == 400


async def test_a_rate_limit_says_when_to_come_back(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """No recorded router 429 exists: a plain error body with `Retry-After`."""
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply(429, {"Retry-After": "12"}, {"error": "Too many requests"}),
    )

    with pytest.raises(RateLimitedError) as caught:
        await HuggingFaceProvider().chat(ctx, PINNED, REQUEST)

    assert caught.value.retry_after == pytest.approx(12.0)
    assert KEY not in str(caught.value)


async def test_chat_and_stream_need_a_token(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(MissingAPIKeyError, match="HF_TOKEN"):
        await HuggingFaceProvider().chat(keyless, PINNED, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in HuggingFaceProvider().stream(keyless, PINNED, REQUEST)]

    assert server.requests == []


# -- end to end -----------------------------------------------------------------------------


async def test_neoclone_discovers_and_lists_the_router_s_models(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))

    # no token needed: the environment given holds no variable at all
    async with neoclone_with(huggingface, tmp_path, base_url=server.url + BASE) as neoclone:
        [result] = await neoclone.discover()
        everything = neoclone.models(provider="huggingface")
        free = neoclone.models(free_only=True)

    assert (result.provider, str(result.status), result.models) == ("huggingface", "scanned", 1)
    assert [m.id for m in everything] == [f"huggingface/{DEEPSEEK}"]
    assert free == []
