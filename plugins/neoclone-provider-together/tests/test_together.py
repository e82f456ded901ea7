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
MODELS_FILE = FIXTURES / "together-models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())
BASE = "/v1"
NOW = 1_750_000_000.0
KEY = "tgp_v1_" + "0123456789abcdef" * 3
FREE_LIMITS = RateLimit(requests_per_minute=60, tokens_per_minute=60_000)
FREE_LLAMA = "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free"


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY, timeout: float = 5.0
) -> ProviderContext:
    return provider_context(
        TogetherProvider(), server.url + BASE, http, key=key, timeout=timeout, now=NOW
    )


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))
    return context(server, http)


async def discovered(ctx: ProviderContext) -> dict[str, ModelInfo]:
    return {m.name: m for m in await TogetherProvider().discover(ctx)}


def entry(model_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": model_id,
        "type": "chat",
        "display_name": model_id.title(),
        "context_length": 8192,
        "pricing": {"hourly": 0, "input": 0, "output": 0, "base": 0, "finetune": 0},
        **fields,
    }


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_together_provider() -> None:
    registered: list[Provider] = []

    together.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "together"
    assert provider.default_base_url == "https://api.together.xyz/v1"
    assert provider.api_key_env == "TOGETHER_API_KEY"


# -- discovery ------------------------------------------------------------------------------


async def test_the_list_yields_the_numbers_the_free_rules_give(ctx: ProviderContext) -> None:
    chat = {e["id"] for e in RAW if e["type"] == "chat"}
    free = {
        e["id"]
        for e in RAW
        if e["type"] == "chat"
        and e["pricing"]["input"] == 0
        and e["pricing"]["output"] == 0
        and e["id"].lower().endswith("-free")
    }

    models = await discovered(ctx)

    assert (len(RAW), len(chat), len(free)) == (5, 3, 2)
    assert set(models) == chat
    assert {name for name, m in models.items() if m.free} == free
    assert all(models[name].rate_limit == FREE_LIMITS for name in free)
    assert models["meta-llama/Llama-3.3-70B-Instruct-Turbo"].rate_limit == RateLimit()


async def test_known_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    llama = models[FREE_LLAMA]
    assert llama.id == f"together/{FREE_LLAMA}"
    assert llama.display_name == "Meta Llama 3.3 70B Instruct Turbo Free"
    assert llama.context_length == 131_072
    assert llama.pricing == Pricing(0.0, 0.0)
    assert llama.capabilities == {Capability.TEXT, Capability.STREAMING}
    assert llama.free

    distill = models["deepseek-ai/DeepSeek-R1-Distill-Llama-70B-free"]  # lowercase suffix
    assert distill.free
    assert distill.context_length == 8192
    assert Capability.REASONING in distill.capabilities

    paid = models["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert paid.pricing == Pricing(0.88, 0.88)
    assert not paid.free


async def test_image_and_embedding_models_are_not_chat_models(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    assert "black-forest-labs/FLUX.1-schnell-Free" not in models  # free, but an image model
    assert "togethercomputer/m2-bert-80M-32k-retrieval" not in models


async def test_a_zero_price_without_the_free_suffix_is_not_free(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    """Dedicated-endpoint-only models show no per-token price; they are not free."""
    document = [
        entry("vendor/dedicated-only-model"),
        entry("vendor/priced-Free", pricing={"input": 0.2, "output": 0}),
        entry("vendor/model-Free"),
        entry("vendor/unpriced-Free", pricing=None),
    ]
    server.route("GET", f"{BASE}/models", Reply(body=document))

    models = {m.name: m for m in await TogetherProvider().discover(context(server, http))}

    assert {name for name, m in models.items() if m.free} == {"vendor/model-Free"}
    assert models["vendor/dedicated-only-model"].pricing == Pricing(0.0, 0.0)
    assert models["vendor/unpriced-Free"].pricing == Pricing(None, None)


async def test_the_parser_tolerates_other_shapes(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    untyped = entry("vendor/untyped-Free", pricing={"input": "0", "output": "0.0"})
    del untyped["type"]
    document = {"data": [untyped, entry("vendor/base", type="language")]}
    server.route("GET", f"{BASE}/models", Reply(body=document))

    [model] = await TogetherProvider().discover(context(server, http))

    assert model.name == "vendor/untyped-Free"
    assert model.free


async def test_malformed_entries_are_skipped_with_a_warning(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = [
        entry("good/model"),
        {"type": "chat"},
        entry("bad/price", pricing={"input": "free", "output": 0}),
        42,
        entry("bad/pricing", pricing=[0, 0]),
    ]
    server.route("GET", f"{BASE}/models", Reply(body=document))

    models = await TogetherProvider().discover(context(server, http))

    assert [m.name for m in models] == ["good/model"]
    skipped = [e["entry"] for e in captured if e["event"] == "neoclone.model_skipped"]
    assert skipped == ["#1", "bad/price", "#3", "bad/pricing"]


@pytest.mark.parametrize("document", [{"models": []}, {"data": {"id": "x"}}, 42])
async def test_a_document_that_is_not_a_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient, document: object
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body=document))

    with pytest.raises(MalformedResponseError, match="not a JSON array"):
        await TogetherProvider().discover(context(server, http))


async def test_an_html_page_instead_of_the_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>"
    server.route("GET", f"{BASE}/models", Reply(body=page, headers={"Content-Type": "text/html"}))

    with pytest.raises(MalformedResponseError, match="HTML page"):
        await TogetherProvider().discover(context(server, http))


async def test_a_listing_that_does_not_answer_in_time_times_out(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body=[], delay_s=2.0))

    with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.2s"):
        await TogetherProvider().discover(context(server, http, timeout=0.2))


async def test_the_listing_needs_the_key_and_sends_it_in_a_header(
    server: RecordingServer, http: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    await TogetherProvider().discover(ctx)
    with pytest.raises(MissingAPIKeyError, match="TOGETHER_API_KEY"):
        await TogetherProvider().discover(context(server, http, key=None))

    [sent] = server.requests
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in sent.path + sent.query


# -- chat and streaming ---------------------------------------------------------------------

FREE_MODEL = ModelInfo("together", FREE_LLAMA, free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


async def test_chat_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """No recorded Together completion exists: OpenAI's documented shape, with the
    `prompt` array Together adds."""
    completion = {
        "id": "8f3c2a1b9d0e",
        "object": "chat.completion",
        "created": 1_750_000_000,
        "model": FREE_LLAMA,
        "prompt": [],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": "Hi!", "tool_calls": []},
            }
        ],
        "usage": {"prompt_tokens": 38, "completion_tokens": 3, "total_tokens": 41},
    }
    server.route("POST", f"{BASE}/chat/completions", Reply(body=completion))

    response = await TogetherProvider().chat(ctx, FREE_MODEL, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == f"together/{FREE_LLAMA}"
    assert response.usage.prompt_tokens == 38
    sent = server.requests[-1]
    assert sent.json()["model"] == FREE_LLAMA
    assert sent.json()["max_tokens"] == 32
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI-shaped chunks (none recorded)."""
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply.sse([chunk("Hi"), chunk(" there"), chunk("", "stop")]),
    )

    chunks = [c async for c in TogetherProvider().stream(ctx, FREE_MODEL, REQUEST)]

    assert "".join(c.content for c in chunks) == "Hi there"
    assert chunks[-1].finish_reason == "stop"
    assert server.requests[-1].json()["stream"] is True


async def test_a_rate_limit_says_when_to_come_back(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """No recorded Together 429 exists: the body follows the error type its rate-limit
    page names, and `x-ratelimit-reset` is "the time until the rate limit resets"."""
    body = {
        "error": {
            "message": "You have been rate limited. Please slow down.",
            "type": "dynamic_request_limited",
        }
    }
    headers = {"x-ratelimit-limit": "1", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"}
    server.route("POST", f"{BASE}/chat/completions", Reply(429, headers, body))

    with pytest.raises(RateLimitedError) as caught:
        await TogetherProvider().chat(ctx, FREE_MODEL, REQUEST)

    assert caught.value.retry_after == pytest.approx(2.0)
    assert KEY not in str(caught.value)


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
    server.route("POST", f"{BASE}/chat/completions", Reply(400, body=body))
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
    server.route("POST", f"{BASE}/chat/completions", Reply(402, body=body))

    with pytest.raises(RateLimitedError, match="Credit limit exceeded") as caught:
        await TogetherProvider().chat(ctx, FREE_MODEL, REQUEST)

    assert caught.value.status == 402


async def test_chat_and_stream_need_a_key(server: RecordingServer, http: httpx.AsyncClient) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(MissingAPIKeyError, match="TOGETHER_API_KEY"):
        await TogetherProvider().chat(keyless, FREE_MODEL, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in TogetherProvider().stream(keyless, FREE_MODEL, REQUEST)]

    assert server.requests == []


# -- end to end -----------------------------------------------------------------------------


async def scan(server: RecordingServer, home: Path, env: dict[str, str]) -> Any:
    async with neoclone_with(together, home, base_url=server.url + BASE, env=env) as neoclone:
        [result] = await neoclone.discover()
        return result, neoclone.models(free_only=True)


async def test_neoclone_discovers_and_lists_together_free_models(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))

    result, free = await scan(server, tmp_path, {"TOGETHER_API_KEY": KEY})

    assert (result.provider, str(result.status), result.models) == ("together", "scanned", 3)
    assert sorted(m.id for m in free) == [
        "together/deepseek-ai/DeepSeek-R1-Distill-Llama-70B-free",
        f"together/{FREE_LLAMA}",
    ]


async def test_neoclone_skips_together_without_a_key(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))

    result, free = await scan(server, tmp_path, {})

    assert str(result.status) == "skipped"
    assert "TOGETHER_API_KEY" in result.message
    assert free == []
    assert server.requests == []
