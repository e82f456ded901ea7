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

from neoclone_core import Capability, Pricing, ProviderContext, RateLimit
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest, chat_completion

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "mistral-models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z: deprecations are read against it
MISTRAL = ProviderUnderTest(MistralProvider, "/v1", listing=MODELS_FILE, key="m-key", now=NOW)
FREE_LIMITS = RateLimit(requests_per_minute=60, tokens_per_minute=500_000)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return MISTRAL.served(server, http)


# -- discovery ------------------------------------------------------------------------------


async def test_the_synthetic_list_yields_its_chat_models_all_free(ctx: ProviderContext) -> None:
    """Synthetic list: every `completion_chat` model is free on the Experiment plan."""
    chat_ids = {e["id"] for e in RAW if e["capabilities"]["completion_chat"]}

    models = await MISTRAL.discovered(ctx)

    assert len(RAW) == 3
    assert set(models) == chat_ids == {"codestral-latest", "mistral-large-latest"}
    assert all(m.free for m in models.values())
    assert all(m.rate_limit == FREE_LIMITS for m in models.values())
    assert all(m.pricing == Pricing() for m in models.values())  # the list has no prices
    assert "mistral-embed" not in models


async def test_capabilities_and_context_follow_the_entries(ctx: ProviderContext) -> None:
    """Synthetic list: the fields are Mistral's documented ones."""
    models = await MISTRAL.discovered(ctx)

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
            {**entry("no-capabilities"), "capabilities": None},
        ],
    }
    models = {m.name: m for m in await MISTRAL.listed(server, http, document)}

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
    assert [e for e in captured if e["log_level"] == "warning"] == []  # all on purpose


class TestMistralContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract),
    with error bodies in Mistral's `{"message": ...}` shape (assumptions: none recorded)."""

    plugin = mistral
    provider_class = MistralProvider
    model_name = "mistral-small-latest"
    now = NOW
    listing = Reply.json_file(MODELS_FILE)
    completion = chat_completion("Hi!", model="mistral-small-latest")
    rate_limited = Reply(
        429, {"Retry-After": "2"}, {"message": "Requests rate limit exceeded", "request_id": "f0c1"}
    )
    rate_limited_wait = 2.0
    rate_limited_says = "Requests rate limit exceeded"
    refused = Reply(401, body={"message": "Unauthorized", "request_id": "a9e2"})
    refused_says = "Unauthorized"

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        return entry(model_name)
