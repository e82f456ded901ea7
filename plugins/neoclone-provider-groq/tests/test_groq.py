"""The Groq provider against its recorded model list and 429 body, replayed on 127.0.0.1.

The expected numbers are computed here from the raw recording with the rules written
out plainly, not by calling the code under test. No recorded Groq chat completion
exists in the shared recordings: the chat and stream bodies below follow OpenAI's
documented shape with Groq's extra `x_groq` field, and say so.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_groq as groq
import pytest
from neoclone_provider_groq import GroqProvider

from neoclone_core import Capability, Pricing, ProviderContext, RateLimit
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest, chat_completion

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "groq-models-2025-11.json"
RATE_LIMIT_FILE = FIXTURES / "groq-429-tpm.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
KEY = "gsk_" + "0123456789abcdef" * 3
GROQ = ProviderUnderTest(GroqProvider, "/openai/v1", listing=MODELS_FILE, key=KEY)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return GROQ.served(server, http)


def is_chat_model(entry: dict[str, Any]) -> bool:
    """Groq's speech, text-to-speech and guard (safety classifier) models are not chat."""
    model_id = entry["id"].lower()
    not_chat = any(word in model_id for word in ("whisper", "tts", "guard"))
    return bool(entry["active"]) and not not_chat


# -- discovery ------------------------------------------------------------------------------


async def test_the_recording_yields_every_chat_model_as_free(ctx: ProviderContext) -> None:
    chat_ids = {e["id"] for e in RAW if is_chat_model(e)}

    models = await GROQ.discovered(ctx)

    assert len(RAW) == 20
    assert len(chat_ids) == 12
    assert set(models) == chat_ids
    assert all(m.free for m in models.values())
    assert all(m.pricing == Pricing() for m in models.values())  # the list has no prices
    assert {m.name: m.context_length for m in models.values()} == {
        e["id"]: e["context_window"] for e in RAW if is_chat_model(e)
    }


async def test_speech_tts_and_guard_models_are_left_out(ctx: ProviderContext) -> None:
    models = await GROQ.discovered(ctx)

    for left_out in (
        "whisper-large-v3",
        "whisper-large-v3-turbo",
        "playai-tts",
        "playai-tts-arabic",
        "meta-llama/llama-guard-4-12b",
        "meta-llama/llama-prompt-guard-2-22m",
        "meta-llama/llama-prompt-guard-2-86m",
        "openai/gpt-oss-safeguard-20b",
    ):
        assert left_out in {e["id"] for e in RAW}
        assert left_out not in models


async def test_every_recorded_chat_model_has_its_documented_free_limits(
    ctx: ProviderContext,
) -> None:
    models = await GROQ.discovered(ctx)

    assert all(m.rate_limit != RateLimit() for m in models.values())
    assert models["llama-3.3-70b-versatile"].rate_limit == RateLimit(
        requests_per_minute=30, requests_per_day=1_000, tokens_per_minute=12_000
    )
    assert models["llama-3.1-8b-instant"].rate_limit.requests_per_day == 14_400
    assert models["moonshotai/kimi-k2-instruct-0905"].rate_limit.requests_per_minute == 60


async def test_known_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await GROQ.discovered(ctx)

    llama = models["llama-3.3-70b-versatile"]
    assert llama.id == "groq/llama-3.3-70b-versatile"
    assert llama.context_length == 131_072
    assert llama.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}

    scout = models["meta-llama/llama-4-scout-17b-16e-instruct"]
    assert scout.capabilities == {
        Capability.TEXT,
        Capability.STREAMING,
        Capability.TOOLS,
        Capability.VISION,
    }

    gpt_oss = models["openai/gpt-oss-120b"]
    assert Capability.REASONING in gpt_oss.capabilities
    assert Capability.TOOLS in gpt_oss.capabilities

    assert models["moonshotai/kimi-k2-instruct-0905"].context_length == 262_144
    assert Capability.TOOLS not in models["groq/compound"].capabilities
    assert Capability.TOOLS not in models["allam-2-7b"].capabilities


def entry(model_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "active": True, "context_window": 8192, **fields}


async def test_inactive_entries_are_left_out_and_an_odd_context_is_unknown(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {
        "object": "list",
        "data": [
            entry("good-model"),
            entry("retired-model", active=False),
            entry("odd-context", context_window="big"),
        ],
    }

    models = await GROQ.listed(server, http, document)

    assert [(m.name, m.context_length) for m in models] == [
        ("good-model", 8192),
        ("odd-context", None),
    ]
    assert models[0].rate_limit == RateLimit()  # not in Groq's table: unknown, not guessed
    assert [e for e in captured if e["log_level"] == "warning"] == []


# -- the recorded 429 ---------------------------------------------------------------------

RETRY_HEADERS = {
    # What Groq sends with a 429 (https://console.groq.com/docs/rate-limits): Retry-After
    # in whole seconds, and per-limit resets as Go-style durations.
    "retry-after": "51",
    "x-ratelimit-limit-requests": "1000",
    "x-ratelimit-limit-tokens": "7000",
    "x-ratelimit-remaining-requests": "999",
    "x-ratelimit-remaining-tokens": "0",
    "x-ratelimit-reset-requests": "1m26.4s",
    "x-ratelimit-reset-tokens": "50.597142857s",
}
WITHOUT_RETRY_AFTER = {k: v for k, v in RETRY_HEADERS.items() if k != "retry-after"}


class TestGroqContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract),
    with Groq's `x_groq` and timing fields in its answers (OpenAI's shape; none
    recorded) and its recorded 429."""

    plugin = groq
    provider_class = GroqProvider
    model_name = "llama-3.3-70b-versatile"
    listing = Reply.json_file(MODELS_FILE)
    completion = chat_completion(
        "Hi!", system_fingerprint="fp_3f39b5a9e5", x_groq={"id": "req_01k9"}
    )
    rate_limited = Reply.json_file(RATE_LIMIT_FILE, 429, RETRY_HEADERS)
    rate_limited_wait = 51.0
    rate_limited_says = "tokens per minute"
    rate_limited_also = (  # without Retry-After, the exhausted token bucket's reset
        (Reply.json_file(RATE_LIMIT_FILE, 429, WITHOUT_RETRY_AFTER), 50.597142857),
        (Reply.json_file(RATE_LIMIT_FILE, 429), 50.597142857),  # the message alone
    )

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        return entry(model_name)
