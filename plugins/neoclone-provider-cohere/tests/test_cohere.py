"""The Cohere provider against a list in Cohere's documented shape, on 127.0.0.1.

`cohere-models.json` is written in the documented shape (fixtures/README.md), not
recorded. Expected values are read off the raw file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_cohere as cohere
import pytest
from neoclone_provider_cohere import CohereProvider

from neoclone_core import Capability, ProviderContext, RateLimit
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest

pytestmark = pytest.mark.anyio

MODELS_FILE = Path(__file__).parent / "fixtures" / "cohere-models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["models"]
COHERE = ProviderUnderTest(CohereProvider, "", MODELS_FILE, "/v1/models", key="co-" + "0" * 37)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return COHERE.served(server, http)


async def test_current_chat_models_are_free_and_the_rest_left_out(ctx: ProviderContext) -> None:
    models = await COHERE.discovered(ctx)

    expected = [e["name"] for e in RAW if "chat" in e["endpoints"] and not e["is_deprecated"]]
    assert list(models) == expected
    assert len(models) == 4  # not the deprecated command-r, the embedder, the reranker
    assert all(
        m.free and m.rate_limit == RateLimit(requests_per_minute=20) for m in models.values()
    )


async def test_features_and_names_give_the_capabilities(ctx: ProviderContext) -> None:
    models = await COHERE.discovered(ctx)

    assert Capability.TOOLS in models["command-a-03-2025"].capabilities
    assert Capability.VISION in models["command-a-vision-07-2025"].capabilities
    assert Capability.REASONING in models["command-a-reasoning-08-2025"].capabilities
    assert models["command-a-03-2025"].context_length == 256_000


async def test_the_request_names_the_chat_endpoint(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    await COHERE.listed(server, http, {"models": []})

    [sent] = server.requests
    assert "endpoint=chat" in sent.query and "page_size=1000" in sent.query


class TestCohereContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract)."""

    plugin = cohere
    provider_class = CohereProvider
    model_name = "command-a-03-2025"
    listing = Reply.json_file(MODELS_FILE)
    listing_key = "models"
    id_key = "name"

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        return {"name": model_name, "endpoints": ["chat"], "is_deprecated": False}

    def not_a_listing(self) -> tuple[list[object], str]:
        """The contract's documents, less `{"models": []}`: for Cohere an empty list."""
        documents, why = super().not_a_listing()
        return [d for d in documents if d != {"models": []}], why
