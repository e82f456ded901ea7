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
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_cerebras as cerebras
import pytest
from neoclone_provider_cerebras import CerebrasProvider

from neoclone_core import Capability, Pricing, ProviderContext, RateLimit
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest, chat_completion

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "cerebras-models.json"
REQUEST_QUOTA = FIXTURES / "cerebras-429-request-quota.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
KEY = "csk-" + "0123456789abcdef" * 3
CEREBRAS = ProviderUnderTest(CerebrasProvider, "/v1", listing=MODELS_FILE, key=KEY)
FREE_LIMITS = RateLimit(requests_per_minute=30, requests_per_day=14_400, tokens_per_minute=60_000)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return CEREBRAS.served(server, http)


# -- discovery ------------------------------------------------------------------------------


async def test_the_synthetic_list_yields_every_model_free(ctx: ProviderContext) -> None:
    """Synthetic list: Cerebras' free tier covers every model it serves."""
    models = await CEREBRAS.discovered(ctx)

    assert list(models) == [e["id"] for e in RAW]
    assert len(models) == 3
    assert all(m.free for m in models.values())
    assert all(m.rate_limit == FREE_LIMITS for m in models.values())
    assert all(m.context_length is None for m in models.values())  # the list has none
    assert all(m.pricing == Pricing() for m in models.values())


async def test_capabilities_follow_the_model_family(ctx: ProviderContext) -> None:
    """Synthetic list: the entries carry no capabilities, so the family decides."""
    models = await CEREBRAS.discovered(ctx)

    base = {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}
    assert models["llama3.1-8b"].capabilities == base
    assert models["gpt-oss-120b"].capabilities == base | {Capability.REASONING}
    assert models["qwen-3-235b-a22b-instruct-2507"].capabilities == base
    assert models["llama3.1-8b"].id == "cerebras/llama3.1-8b"


async def test_documented_exceptions_to_the_general_limits(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    document = {"object": "list", "data": [{"id": "qwen-3-coder-480b", "object": "model"}]}

    [coder] = await CEREBRAS.listed(server, http, document)

    assert coder.rate_limit == RateLimit(
        requests_per_minute=10, requests_per_day=100, tokens_per_minute=150_000
    )
    assert Capability.CODE in coder.capabilities


# -- the recorded 429 ---------------------------------------------------------------------

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


class TestCerebrasContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract),
    with Cerebras' `time_info` in its answers (OpenAI's shape; none recorded)."""

    plugin = cerebras
    provider_class = CerebrasProvider
    model_name = "gpt-oss-120b"
    listing = Reply.json_file(MODELS_FILE)
    completion = chat_completion(
        "Hi!", system_fingerprint="fp_70185065a4", time_info={"queue_time": 0.0001}
    )
    # Per-minute requests have no header of their own: the soonest reset is the
    # per-minute token bucket's, which is when the next request may pass.
    rate_limited = Reply.json_file(REQUEST_QUOTA, 429, RATE_HEADERS)
    rate_limited_wait = 11.382867097854614
    rate_limited_says = "Requests per minute limit exceeded"
    rate_limited_also = (
        # With the day's requests spent, only the daily reset helps.
        (Reply.json_file(REQUEST_QUOTA, 429, DAY_EXHAUSTED), 33011.382867097855),
        (Reply.json_file(REQUEST_QUOTA, 429), None),  # no headers: no telling
    )
