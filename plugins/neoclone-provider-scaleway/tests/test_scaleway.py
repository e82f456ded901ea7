"""The Scaleway Generative APIs provider against a list in its documented shape, on 127.0.0.1.

`scaleway-models.json` is written in the documented shape (fixtures/README.md names the
page), not recorded. Expected values are read off the raw file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_scaleway as plugin
import pytest
from neoclone_provider_scaleway import ScalewayProvider

from neoclone_core import Access, Pricing, ProviderContext
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest

pytestmark = pytest.mark.anyio

MODELS_FILE = Path(__file__).parent / "fixtures" / "scaleway-models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
PROVIDER = ProviderUnderTest(
    ScalewayProvider, "/v1", listing=MODELS_FILE, key="test-key-" + "0" * 24
)
NOT_CHAT = {
    "whisper-large-v3",
    "qwen3-embedding-8b",
    "voxtral-small-24b-2507",
    "bge-multilingual-gemma2",
}


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return PROVIDER.served(server, http)


async def test_the_chat_models_are_listed(ctx: ProviderContext) -> None:
    """Every listed chat model (none free: the contract checks it, as for every paid or
    trial-credit provider)."""
    models = await PROVIDER.discovered(ctx)

    assert set(models) == {e["id"] for e in RAW} - NOT_CHAT
    assert len(models) == 4


async def test_the_list_gives_context_and_prices(ctx: ProviderContext) -> None:
    models = await PROVIDER.discovered(ctx)
    first = RAW[0]

    model = models[first["id"]]
    assert model.context_length == first.get("context_length")
    assert model.pricing == Pricing()


class TestScalewayContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract)."""

    plugin = plugin
    provider_class = ScalewayProvider
    model_name = RAW[0]["id"]
    listing = Reply.json_file(MODELS_FILE)
    free_tier_access = Access.TRIAL_CREDIT
