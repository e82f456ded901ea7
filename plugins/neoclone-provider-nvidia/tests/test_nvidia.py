"""The NVIDIA NIM provider against a list in its documented shape, on 127.0.0.1.

`nvidia-models.json` is written in the documented shape (fixtures/README.md names the
page), not recorded. The expected sets are written out from the raw file here, not
computed by the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_nvidia as nvidia
import pytest
from neoclone_provider_nvidia import NvidiaProvider

from neoclone_core import Access, Capability, ProviderContext, RateLimit
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest

pytestmark = pytest.mark.anyio

MODELS_FILE = Path(__file__).parent / "fixtures" / "nvidia-models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
NVIDIA = ProviderUnderTest(NvidiaProvider, "/v1", listing=MODELS_FILE, key="nvapi-" + "0" * 40)
NOT_CHAT = {
    "nvidia/nv-embedqa-e5-v5",
    "nvidia/llama-3.2-nv-rerankqa-1b-v2",
    "meta/llama-guard-4-12b",
}


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return NVIDIA.served(server, http)


async def test_chat_models_are_listed_free_and_the_rest_left_out(ctx: ProviderContext) -> None:
    models = await NVIDIA.discovered(ctx)

    assert set(models) == {e["id"] for e in RAW} - NOT_CHAT
    assert len(models) == 4
    assert all(m.free for m in models.values())
    assert all(m.rate_limit == RateLimit(requests_per_minute=40) for m in models.values())


async def test_names_give_the_capabilities(ctx: ProviderContext) -> None:
    models = await NVIDIA.discovered(ctx)

    assert Capability.CODE in models["qwen/qwen2.5-coder-32b-instruct"].capabilities
    assert models["meta/llama-3.3-70b-instruct"].capabilities == {
        Capability.TEXT,
        Capability.STREAMING,
    }
    assert models["meta/llama-3.3-70b-instruct"].context_length is None  # the list has none


def test_the_free_tier_names_its_costs() -> None:
    tier = NvidiaProvider().free_tier

    assert tier is not None and tier.access is Access.FREE_MODELS
    assert "phone number verification" in tier.terms
    assert not tier.trains_on_prompts


class TestNvidiaContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract)."""

    plugin = nvidia
    provider_class = NvidiaProvider
    model_name = "meta/llama-3.3-70b-instruct"
    listing = Reply.json_file(MODELS_FILE)
