"""The Vercel AI Gateway provider against a list in its documented shape, on 127.0.0.1.

`vercel-models.json` is written in the documented shape (fixtures/README.md), not
recorded. Expected values are read off the raw file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_vercel as vercel
import pytest
from neoclone_provider_vercel import VercelProvider

from neoclone_core import Access, Capability, Pricing, ProviderContext
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest

pytestmark = pytest.mark.anyio

MODELS_FILE = Path(__file__).parent / "fixtures" / "vercel-models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
VERCEL = ProviderUnderTest(VercelProvider, "/v1", listing=MODELS_FILE, key="vck_" + "0" * 40)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return VERCEL.served(server, http)


async def test_language_models_are_listed_and_only_zero_priced_ones_free(
    ctx: ProviderContext,
) -> None:
    models = await VERCEL.discovered(ctx)

    assert list(models) == [e["id"] for e in RAW if e["type"] == "language"]
    zero = {
        e["id"]
        for e in RAW
        if e["type"] == "language" and e["pricing"]["input"] == e["pricing"]["output"] == "0"
    }
    assert {name for name, m in models.items() if m.free} == zero == {"openai/gpt-oss-20b"}


async def test_tags_prices_and_context_are_read(ctx: ProviderContext) -> None:
    models = await VERCEL.discovered(ctx)

    flash = models["google/gemini-2.5-flash"]
    assert flash.display_name == "Gemini 2.5 Flash"
    assert flash.context_length == 1_000_000
    assert flash.pricing == Pricing(0.3, 2.5)
    assert {Capability.TOOLS, Capability.VISION, Capability.REASONING} <= flash.capabilities


class TestVercelContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract)."""

    plugin = vercel
    provider_class = VercelProvider
    model_name = "alibaba/qwen-3-14b"
    listing = Reply.json_file(MODELS_FILE)
    free_tier_access = Access.MONTHLY_CREDIT
