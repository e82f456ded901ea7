"""The OpenCode Zen provider against its model list, replayed on 127.0.0.1.

No public recording of Zen's `GET /models` exists: `opencode-zen-models.json` is the
shared SYNTHETIC file written from Zen's documented OpenAI-shaped list (ids only, no
pricing). The 404 body is the error Zen sends for an unknown model. Expected numbers
are computed here from the raw JSON with the rule written out plainly.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_opencode as opencode
import pytest
from neoclone_provider_opencode import OpenCodeZenProvider

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
MODELS_FILE = FIXTURES / "opencode-zen-models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
BASE = "/zen/v1"
NOW = 1_784_150_000.0
KEY = "sk-zen-" + "0123456789abcdef" * 3
USER_AGENT = f"neoclone/{version('neoclone')}"  # what neoclone's shared HTTP client sends


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY, timeout: float = 5.0
) -> ProviderContext:
    return provider_context(
        OpenCodeZenProvider(), server.url + BASE, http, key=key, timeout=timeout, now=NOW
    )


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))
    return context(server, http)


async def discovered(ctx: ProviderContext, **kwargs: Any) -> dict[str, ModelInfo]:
    return {m.name: m for m in await OpenCodeZenProvider(**kwargs).discover(ctx)}


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_opencode_provider() -> None:
    registered: list[Provider] = []

    opencode.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "opencode"
    assert provider.default_base_url == "https://opencode.ai/zen/v1"
    assert provider.api_key_env == "OPENCODE_API_KEY"


# -- discovery ------------------------------------------------------------------------------


async def test_the_list_yields_the_numbers_the_free_rule_gives(ctx: ProviderContext) -> None:
    suffix_free = {e["id"] for e in RAW if e["id"].endswith("-free")}
    expected_free = suffix_free | ({"big-pickle"} & {e["id"] for e in RAW})

    models = await discovered(ctx)

    assert len(models) == len(RAW) == 6
    assert set(models) == {e["id"] for e in RAW}
    assert {n for n, m in models.items() if m.free} == expected_free
    assert len(expected_free) == 4


async def test_known_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    pickle = models["big-pickle"]  # promotional: free without the suffix
    assert pickle.id == "opencode/big-pickle"
    assert pickle.free
    assert models["deepseek-v4-flash-free"].free
    assert not models["gpt-5.5"].free
    assert not models["claude-sonnet-4-6"].free


async def test_the_list_says_nothing_of_prices_or_context_so_they_stay_unknown(
    ctx: ProviderContext,
) -> None:
    models = await discovered(ctx)

    assert all(m.pricing == Pricing(None, None) for m in models.values())
    assert all(m.context_length is None for m in models.values())
    assert all(m.rate_limit == RateLimit() for m in models.values())
    assert all(
        m.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.CODE}
        for m in models.values()
    )


async def test_the_promotional_list_can_be_overridden(ctx: ProviderContext) -> None:
    models = await discovered(ctx, promotional_free={"gpt-5.5"})

    assert models["gpt-5.5"].free
    assert not models["big-pickle"].free  # the promotion ended in this override
    assert models["mimo-v2.5-free"].free  # the suffix rule still holds


async def test_the_listing_is_public_and_sends_the_key_only_when_set(
    server: RecordingServer, http: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    await OpenCodeZenProvider().discover(ctx)
    keyless = await OpenCodeZenProvider().discover(context(server, http, key=None))

    with_key, without_key = server.requests
    assert with_key.headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in without_key.headers
    assert without_key.headers["user-agent"] == USER_AGENT  # the client's own, not replaced
    assert len(keyless) == len(RAW)


async def test_entries_without_an_id_are_skipped_with_a_warning(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {"data": [{"id": "a-free"}, {"object": "model"}, "junk", {"id": "  "}]}
    server.route("GET", f"{BASE}/models", Reply(body=document))

    models = await OpenCodeZenProvider().discover(context(server, http))

    assert [m.name for m in models] == ["a-free"]
    skipped = [e["entry"] for e in captured if e["event"] == "neoclone.model_skipped"]
    assert skipped == ["#1", "#2", "#3"]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body={"models": []}),
        Reply(body=b"<html><title>Just a moment...</title></html>"),
        Reply(body=b'{"data": [', headers={"Content-Type": "application/json"}),
    ],
    ids=["no-data-list", "html-challenge-page", "broken-json"],
)
async def test_a_garbage_listing_is_a_malformed_response(
    server: RecordingServer, http: httpx.AsyncClient, reply: Reply
) -> None:
    server.route("GET", f"{BASE}/models", reply)

    with pytest.raises(MalformedResponseError, match="opencode: malformed response"):
        await OpenCodeZenProvider().discover(context(server, http))


async def test_a_listing_that_never_comes_is_a_timeout(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body={"data": []}, delay_s=2.0))

    with pytest.raises(ProviderTimeoutError, match=r"opencode: no answer within 0.2s"):
        await OpenCodeZenProvider().discover(context(server, http, timeout=0.2))


# -- chat and streaming ---------------------------------------------------------------------

FREE_MODEL = ModelInfo("opencode", "big-pickle", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


async def test_chat_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """No recorded Zen chat body exists: this one is OpenAI's documented shape, which
    Zen's `/chat/completions` (the endpoint of its free models) follows."""
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_784_150_000,
        "model": "big-pickle",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi!"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
    server.route("POST", f"{BASE}/chat/completions", Reply(body=completion))

    response = await OpenCodeZenProvider().chat(ctx, FREE_MODEL, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == "opencode/big-pickle"
    assert response.usage.prompt_tokens == 9
    sent = server.requests[-1]
    assert sent.json()["model"] == "big-pickle"
    assert sent.json()["max_tokens"] == 32
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI-shaped chunks (no Zen stream was recorded)."""
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply.sse([chunk("Hi"), chunk(" there"), chunk("", "stop")]),
    )

    chunks = [c async for c in OpenCodeZenProvider().stream(ctx, FREE_MODEL, REQUEST)]

    assert "".join(c.content for c in chunks) == "Hi there"
    assert chunks[-1].finish_reason == "stop"
    assert server.requests[-1].json()["stream"] is True


async def test_an_unknown_model_is_model_not_found(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply.json_file(FIXTURES / "opencode-zen-404-model.json", 404),
    )
    gone = ModelInfo("opencode", "nonexistent-model")

    with pytest.raises(ModelNotFoundError, match="Model 'nonexistent-model' not found") as caught:
        await OpenCodeZenProvider().chat(ctx, gone, REQUEST)

    assert caught.value.status == 404
    assert caught.value.provider == "opencode"
    assert KEY not in str(caught.value)


async def test_a_rate_limit_says_when_to_come_back(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """No Zen 429 was recorded; this checks the standard `Retry-After` it would send."""
    body = {"error": {"message": "Rate limit exceeded", "type": "rate_limit"}}
    server.route("POST", f"{BASE}/chat/completions", Reply(429, {"Retry-After": "30"}, body=body))

    with pytest.raises(RateLimitedError) as caught:
        await OpenCodeZenProvider().chat(ctx, FREE_MODEL, REQUEST)

    assert caught.value.retry_after == 30.0


async def test_chat_and_stream_need_a_key(server: RecordingServer, http: httpx.AsyncClient) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(MissingAPIKeyError, match="OPENCODE_API_KEY") as caught:
        await OpenCodeZenProvider().chat(keyless, FREE_MODEL, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in OpenCodeZenProvider().stream(keyless, FREE_MODEL, REQUEST)]

    assert caught.value.env_var == "OPENCODE_API_KEY"
    assert server.requests == []


# -- end to end -----------------------------------------------------------------------------


async def test_neoclone_discovers_and_lists_opencode_free_models(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))

    async with neoclone_with(opencode, tmp_path, base_url=server.url + BASE) as neoclone:
        [scan] = await neoclone.discover()
        free = neoclone.models(free_only=True)

    assert (scan.provider, str(scan.status), scan.models) == ("opencode", "scanned", 6)
    assert {m.id for m in free} == {
        "opencode/big-pickle",
        "opencode/deepseek-v4-flash-free",
        "opencode/mimo-v2.5-free",
        "opencode/nemotron-3-ultra-free",
    }
    assert server.hits("GET", f"{BASE}/models") == 1
    # opencode.ai's web firewall refuses generic library agents: neoclone names itself
    assert server.requests[-1].headers["user-agent"] == USER_AGENT
