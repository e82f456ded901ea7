"""The Mistral provider against a model list replayed on 127.0.0.1.

No public recording of Mistral's `GET /v1/models` was found: `mistral-models.json` is
SYNTHETIC, built from Mistral's documented schema (../shared/fixtures/synthetic/), so
its details are less certain than a recording's, and the parser is tested for
tolerance beyond it. No Mistral chat completion or error body is recorded either: the
chat and stream bodies follow OpenAI's shape, which Mistral's API documents, and the
error bodies are written here in the `{"message": ...}` shape, as assumptions.
The expected numbers are computed from the raw file, not by calling the code under test.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_mistral as mistral
import pytest
from neoclone_provider_mistral import MistralProvider

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
)
from neoclone_core.errors import (
    AuthenticationError,
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
MODELS_FILE = FIXTURES / "mistral-models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
BASE = "/v1"
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
KEY = "mistral-test-key-0123456789abcdef"
FREE_LIMITS = RateLimit(requests_per_minute=60, tokens_per_minute=500_000)


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY, timeout: float = 5.0
) -> ProviderContext:
    return provider_context(
        MistralProvider(), server.url + BASE, http, key=key, timeout=timeout, now=NOW
    )


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))
    return context(server, http)


async def discovered(ctx: ProviderContext) -> dict[str, ModelInfo]:
    return {m.name: m for m in await MistralProvider().discover(ctx)}


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_mistral_provider() -> None:
    registered: list[Provider] = []

    mistral.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "mistral"
    assert provider.default_base_url == "https://api.mistral.ai/v1"
    assert provider.api_key_env == "MISTRAL_API_KEY"


# -- discovery ------------------------------------------------------------------------------


async def test_the_synthetic_list_yields_its_chat_models_all_free(ctx: ProviderContext) -> None:
    """Synthetic list: every `completion_chat` model is free on the Experiment plan."""
    chat_ids = {e["id"] for e in RAW if e["capabilities"]["completion_chat"]}

    models = await discovered(ctx)

    assert len(RAW) == 3
    assert set(models) == chat_ids == {"codestral-latest", "mistral-large-latest"}
    assert all(m.free for m in models.values())
    assert all(m.rate_limit == FREE_LIMITS for m in models.values())
    assert all(m.pricing == Pricing() for m in models.values())  # the list has no prices
    assert "mistral-embed" not in models


async def test_capabilities_and_context_follow_the_entries(ctx: ProviderContext) -> None:
    """Synthetic list: the fields are Mistral's documented ones."""
    models = await discovered(ctx)

    codestral = models["codestral-latest"]
    assert codestral.id == "mistral/codestral-latest"
    assert codestral.display_name == "codestral-2501"
    assert codestral.context_length == 262_144
    assert codestral.capabilities == {
        Capability.TEXT,
        Capability.STREAMING,
        Capability.TOOLS,
        Capability.CODE,  # completion_fim
    }

    large = models["mistral-large-latest"]
    assert large.display_name == "Mistral Large 3"
    assert large.capabilities == {
        Capability.TEXT,
        Capability.STREAMING,
        Capability.TOOLS,
        Capability.VISION,
    }


async def test_the_listing_sends_the_key_in_the_authorization_header(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    await MistralProvider().discover(ctx)

    [sent] = server.requests
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in sent.path + sent.query


async def test_discovery_without_a_key_is_skipped_before_any_request(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(MissingAPIKeyError, match="MISTRAL_API_KEY") as caught:
        await MistralProvider().discover(context(server, http, key=None))

    assert caught.value.env_var == "MISTRAL_API_KEY"
    assert server.requests == []


def entry(model_id: str, **fields: Any) -> dict[str, Any]:
    capabilities = {"completion_chat": True, "function_calling": False, "vision": False}
    return {
        "id": model_id,
        "object": "model",
        "capabilities": {**capabilities, **fields.pop("capabilities", {})},
        "name": model_id,
        "max_context_length": 32_768,
        "aliases": [],
        "deprecation": None,
        "type": "base",
        **fields,
    }


async def test_aliases_retired_fine_tuned_and_odd_entries(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {
        "object": "list",
        "data": [
            entry("mistral-small-2506", aliases=["mistral-small-latest"]),
            entry("mistral-small-latest", aliases=["mistral-small-2506"]),
            entry("open-mistral-7b", deprecation="2025-03-30T12:00:00Z"),
            entry("mistral-medium-2508", deprecation="2026-06-30T00:00:00Z"),
            entry("magistral-small-latest", max_context_length="40k"),
            entry("ft:open-mistral-nemo:abc123", type="fine-tuned"),
            entry("mistral-ocr-latest", capabilities={"completion_chat": False}),
            {"object": "model", "name": "no id"},
            {**entry("no-capabilities"), "capabilities": None},
        ],
    }
    server.route("GET", f"{BASE}/models", Reply(body=document))

    models = {m.name: m for m in await MistralProvider().discover(context(server, http))}

    assert list(models) == [
        "mistral-small-2506",  # its alias, listed after it, is the same model
        "mistral-medium-2508",  # deprecated, but its retirement date is still ahead
        "magistral-small-latest",
        "ft:open-mistral-nemo:abc123",
    ]
    assert Capability.REASONING in models["magistral-small-latest"].capabilities
    assert models["magistral-small-latest"].context_length is None
    fine_tuned = models["ft:open-mistral-nemo:abc123"]
    assert (fine_tuned.free, fine_tuned.rate_limit) == (False, RateLimit())
    warnings = [e["entry"] for e in captured if e["log_level"] == "warning"]
    assert warnings == ["#7"]


@pytest.mark.parametrize("document", [{"models": []}, [], {"data": "none"}])
async def test_a_document_without_a_data_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient, document: object
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body=document))

    with pytest.raises(MalformedResponseError, match="no 'data' list"):
        await MistralProvider().discover(context(server, http))


async def test_an_html_page_instead_of_the_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    page = b"<!DOCTYPE html><html><title>Maintenance</title><body>back soon</body></html>"
    server.route("GET", f"{BASE}/models", Reply(body=page, headers={"Content-Type": "text/html"}))

    with pytest.raises(MalformedResponseError, match="HTML page"):
        await MistralProvider().discover(context(server, http))


async def test_a_listing_that_never_answers_times_out(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", f"{BASE}/models", Reply(delay_s=5, body={"data": []}))

    with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.2s"):
        await MistralProvider().discover(context(server, http, timeout=0.2))


# -- chat and streaming ---------------------------------------------------------------------

MODEL = ModelInfo("mistral", "mistral-large-latest", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


async def test_chat_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI's shape, which Mistral documents for `/v1/chat/completions` (none recorded)."""
    completion = {
        "id": "cmpl-e5cc70bb28c444948073e77776eb30ef",
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": "mistral-large-latest",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi!", "tool_calls": None},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 6, "completion_tokens": 3, "total_tokens": 9},
    }
    server.route("POST", f"{BASE}/chat/completions", Reply(body=completion))

    response = await MistralProvider().chat(ctx, MODEL, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == "mistral/mistral-large-latest"
    assert response.usage.completion_tokens == 3
    sent = server.requests[-1]
    assert sent.json()["model"] == "mistral-large-latest"
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI-shaped chunks (none recorded)."""
    server.route(
        "POST", f"{BASE}/chat/completions", Reply.sse([chunk("Hi"), chunk(" there", "stop")])
    )

    chunks = [c async for c in MistralProvider().stream(ctx, MODEL, REQUEST)]

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
        await collect_text(MistralProvider().stream(ctx, MODEL, REQUEST), received)

    assert received == ["Hi"]


async def test_a_429_is_a_rate_limit_with_its_retry_after(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """No Mistral 429 is recorded: the body and header here are assumptions."""
    body = {"message": "Requests rate limit exceeded", "request_id": "f0c1"}
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply(status=429, body=body, headers={"Retry-After": "2"}),
    )

    with pytest.raises(RateLimitedError, match="Requests rate limit exceeded") as caught:
        await MistralProvider().chat(ctx, MODEL, REQUEST)

    assert caught.value.retry_after == 2.0


async def test_a_refused_key_is_an_authentication_error(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """No Mistral 401 is recorded: the body here is an assumption."""
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply(status=401, body={"message": "Unauthorized", "request_id": "a9e2"}),
    )

    with pytest.raises(AuthenticationError, match="Unauthorized"):
        await MistralProvider().chat(ctx, MODEL, REQUEST)


async def test_chat_and_stream_need_a_key(server: RecordingServer, http: httpx.AsyncClient) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(MissingAPIKeyError, match="MISTRAL_API_KEY"):
        await MistralProvider().chat(keyless, MODEL, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in MistralProvider().stream(keyless, MODEL, REQUEST)]

    assert server.requests == []


# -- end to end -----------------------------------------------------------------------------


def neoclone(server: RecordingServer, home: Path, env: dict[str, str]) -> Neoclone:
    return neoclone_with(mistral, home, base_url=server.url + BASE, env=env, default_plugins=False)


async def test_neoclone_discovers_and_lists_mistral_free_models(
    server: RecordingServer, tmp_path: Path
) -> None:
    """Against the synthetic list."""
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))

    async with neoclone(server, tmp_path, {"MISTRAL_API_KEY": KEY}) as running:
        [scan] = await running.discover()
        free = running.models(free_only=True)

    assert (scan.provider, scan.status, scan.models) == ("mistral", ScanStatus.SCANNED, 2)
    assert {m.id for m in free} == {"mistral/codestral-latest", "mistral/mistral-large-latest"}


async def test_neoclone_skips_mistral_without_a_key_with_a_one_line_reason(
    server: RecordingServer, tmp_path: Path
) -> None:
    async with neoclone(server, tmp_path, {}) as running:
        [scan] = await running.discover()

    assert scan.status == ScanStatus.SKIPPED
    assert scan.message == "mistral: no API key (set MISTRAL_API_KEY)"
    assert server.requests == []
