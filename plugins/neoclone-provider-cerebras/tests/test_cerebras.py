"""The Cerebras provider against a model list and its recorded 429 body, on 127.0.0.1.

No public recording of Cerebras' `GET /v1/models` was found: `cerebras-models.json` is
SYNTHETIC, built from the documented OpenAI-style shape (../shared/fixtures/synthetic/).
Like the real list it has no context length, capabilities or prices, so the context
length is unknown and the rest comes from Cerebras' documentation. The 429 body is
real (`cerebras-429-request-quota.json`); the rate-limit headers sent with it are the
ones Cerebras documents. No Cerebras chat completion is recorded: chat and stream
bodies follow OpenAI's shape, which Cerebras' API documents.
The expected numbers are computed from the raw file, not by calling the code under test.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_cerebras as cerebras
import pytest
from neoclone_provider_cerebras import CerebrasProvider

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
MODELS_FILE = FIXTURES / "cerebras-models.json"
REQUEST_QUOTA = FIXTURES / "cerebras-429-request-quota.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
BASE = "/v1"
NOW = 1_763_400_000.0
KEY = "csk-" + "0123456789abcdef" * 3
FREE_LIMITS = RateLimit(requests_per_minute=30, requests_per_day=14_400, tokens_per_minute=60_000)


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY, timeout: float = 5.0
) -> ProviderContext:
    return provider_context(
        CerebrasProvider(), server.url + BASE, http, key=key, timeout=timeout, now=NOW
    )


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))
    return context(server, http)


async def discovered(ctx: ProviderContext) -> dict[str, ModelInfo]:
    return {m.name: m for m in await CerebrasProvider().discover(ctx)}


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_cerebras_provider() -> None:
    registered: list[Provider] = []

    cerebras.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "cerebras"
    assert provider.default_base_url == "https://api.cerebras.ai/v1"
    assert provider.api_key_env == "CEREBRAS_API_KEY"


# -- discovery ------------------------------------------------------------------------------


async def test_the_synthetic_list_yields_every_model_free(ctx: ProviderContext) -> None:
    """Synthetic list: Cerebras' free tier covers every model it serves."""
    models = await discovered(ctx)

    assert list(models) == [e["id"] for e in RAW]
    assert len(models) == 3
    assert all(m.free for m in models.values())
    assert all(m.rate_limit == FREE_LIMITS for m in models.values())
    assert all(m.context_length is None for m in models.values())  # the list has none
    assert all(m.pricing == Pricing() for m in models.values())


async def test_capabilities_follow_the_model_family(ctx: ProviderContext) -> None:
    """Synthetic list: the entries carry no capabilities, so the family decides."""
    models = await discovered(ctx)

    base = {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}
    assert models["llama3.1-8b"].capabilities == base
    assert models["gpt-oss-120b"].capabilities == base | {Capability.REASONING}
    assert models["qwen-3-235b-a22b-instruct-2507"].capabilities == base
    assert models["llama3.1-8b"].id == "cerebras/llama3.1-8b"


async def test_documented_exceptions_to_the_general_limits(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    document = {"object": "list", "data": [{"id": "qwen-3-coder-480b", "object": "model"}]}
    server.route("GET", f"{BASE}/models", Reply(body=document))

    [coder] = await CerebrasProvider().discover(context(server, http))

    assert coder.rate_limit == RateLimit(
        requests_per_minute=10, requests_per_day=100, tokens_per_minute=150_000
    )
    assert Capability.CODE in coder.capabilities


async def test_the_listing_sends_the_key_in_the_authorization_header(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    await CerebrasProvider().discover(ctx)

    [sent] = server.requests
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in sent.path + sent.query


async def test_discovery_without_a_key_is_skipped_before_any_request(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(MissingAPIKeyError, match="CEREBRAS_API_KEY") as caught:
        await CerebrasProvider().discover(context(server, http, key=None))

    assert caught.value.env_var == "CEREBRAS_API_KEY"
    assert server.requests == []


async def test_malformed_entries_are_skipped_with_a_warning(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {"data": [{"id": "llama3.1-8b"}, {"object": "model"}, 42, {"id": "  "}]}
    server.route("GET", f"{BASE}/models", Reply(body=document))

    models = await CerebrasProvider().discover(context(server, http))

    assert [m.name for m in models] == ["llama3.1-8b"]
    assert [e["entry"] for e in captured if e["log_level"] == "warning"] == ["#1", "#2", "  "]


@pytest.mark.parametrize("document", [{"models": []}, [], {"data": {}}])
async def test_a_document_without_a_data_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient, document: object
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body=document))

    with pytest.raises(MalformedResponseError, match="no 'data' list"):
        await CerebrasProvider().discover(context(server, http))


async def test_an_empty_body_instead_of_the_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", f"{BASE}/models", Reply(body=b"", headers={"Content-Type": "text/plain"}))

    with pytest.raises(MalformedResponseError, match="an empty body"):
        await CerebrasProvider().discover(context(server, http))


async def test_a_listing_that_never_answers_times_out(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", f"{BASE}/models", Reply(delay_s=5, body={"data": []}))

    with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.2s"):
        await CerebrasProvider().discover(context(server, http, timeout=0.2))


# -- chat and streaming ---------------------------------------------------------------------

MODEL = ModelInfo("cerebras", "gpt-oss-120b", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


async def test_chat_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI's shape with Cerebras' `time_info` (none recorded)."""
    completion = {
        "id": "chatcmpl-8a1b",
        "object": "chat.completion",
        "created": 1_763_400_000,
        "model": "gpt-oss-120b",
        "system_fingerprint": "fp_70185065a4",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi!"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 70, "completion_tokens": 3, "total_tokens": 73},
        "time_info": {"queue_time": 0.0001, "prompt_time": 0.002, "completion_time": 0.001},
    }
    server.route("POST", f"{BASE}/chat/completions", Reply(body=completion))

    response = await CerebrasProvider().chat(ctx, MODEL, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == "cerebras/gpt-oss-120b"
    assert response.usage.prompt_tokens == 70
    sent = server.requests[-1]
    assert sent.json()["model"] == "gpt-oss-120b"
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    """OpenAI-shaped chunks (none recorded)."""
    server.route(
        "POST", f"{BASE}/chat/completions", Reply.sse([chunk("Hi"), chunk(" there", "stop")])
    )

    chunks = [c async for c in CerebrasProvider().stream(ctx, MODEL, REQUEST)]

    assert "".join(c.content for c in chunks) == "Hi there"
    assert chunks[-1].finish_reason == "stop"
    assert server.requests[-1].json()["stream"] is True


async def test_a_stream_that_stalls_after_the_first_chunk_is_interrupted(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route(
        "POST",
        f"{BASE}/chat/completions",
        Reply.sse([chunk("Hi"), chunk(" th")], stall_after_events=1),
    )

    received: list[str] = []
    with pytest.raises(StreamInterruptedError, match="connection lost"):
        await collect_text(
            CerebrasProvider().stream(context(server, http, timeout=0.3), MODEL, REQUEST), received
        )

    assert received == ["Hi"]


RATE_HEADERS = {
    # The headers Cerebras documents on every response
    # (https://inference-docs.cerebras.ai/support/rate-limits): resets in seconds.
    "x-ratelimit-limit-requests-day": "14400",
    "x-ratelimit-limit-tokens-minute": "60000",
    "x-ratelimit-remaining-requests-day": "14370",
    "x-ratelimit-remaining-tokens-minute": "58734",
    "x-ratelimit-reset-requests-day": "33011.382867097855",
    "x-ratelimit-reset-tokens-minute": "11.382867097854614",
}
DAY_EXHAUSTED = {**RATE_HEADERS, "x-ratelimit-remaining-requests-day": "0"}


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        # Per-minute requests have no header of their own: the soonest reset is the
        # per-minute token bucket's, which is when the next request may pass.
        pytest.param(RATE_HEADERS, 11.382867097854614, id="per-minute-limit"),
        # With the day's requests spent, only the daily reset helps.
        pytest.param(DAY_EXHAUSTED, 33011.382867097855, id="daily-limit-spent"),
        pytest.param({}, None, id="no-headers"),
    ],
)
async def test_the_recorded_429_is_a_rate_limit(
    server: RecordingServer, ctx: ProviderContext, headers: dict[str, str], wait: float | None
) -> None:
    server.route("POST", f"{BASE}/chat/completions", Reply.json_file(REQUEST_QUOTA, 429, headers))

    with pytest.raises(RateLimitedError, match="Requests per minute limit exceeded") as caught:
        await CerebrasProvider().chat(ctx, MODEL, REQUEST)

    assert caught.value.retry_after == (None if wait is None else pytest.approx(wait))
    assert caught.value.provider == "cerebras"
    assert caught.value.model == "gpt-oss-120b"


async def test_chat_and_stream_need_a_key(server: RecordingServer, http: httpx.AsyncClient) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(MissingAPIKeyError, match="CEREBRAS_API_KEY"):
        await CerebrasProvider().chat(keyless, MODEL, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in CerebrasProvider().stream(keyless, MODEL, REQUEST)]

    assert server.requests == []


# -- end to end -----------------------------------------------------------------------------


def neoclone(server: RecordingServer, home: Path, env: dict[str, str]) -> Neoclone:
    return neoclone_with(cerebras, home, base_url=server.url + BASE, env=env, default_plugins=False)


async def test_neoclone_discovers_and_lists_cerebras_free_models(
    server: RecordingServer, tmp_path: Path
) -> None:
    """Against the synthetic list."""
    server.route("GET", f"{BASE}/models", Reply.json_file(MODELS_FILE))

    async with neoclone(server, tmp_path, {"CEREBRAS_API_KEY": KEY}) as running:
        [scan] = await running.discover()
        free = running.models(free_only=True)

    assert (scan.provider, scan.status, scan.models) == ("cerebras", ScanStatus.SCANNED, 3)
    assert {m.id for m in free} == {f"cerebras/{e['id']}" for e in RAW}


async def test_neoclone_skips_cerebras_without_a_key_with_a_one_line_reason(
    server: RecordingServer, tmp_path: Path
) -> None:
    async with neoclone(server, tmp_path, {}) as running:
        [scan] = await running.discover()

    assert scan.status == ScanStatus.SKIPPED
    assert scan.message == "cerebras: no API key (set CEREBRAS_API_KEY)"
    assert server.requests == []
