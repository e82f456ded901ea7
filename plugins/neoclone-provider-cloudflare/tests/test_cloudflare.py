"""The Cloudflare Workers AI provider against its model search in the documented shape.

`cloudflare-models-search.json` is SYNTHETIC (fixtures/README.md): built from
Cloudflare's API reference, not recorded. Expected values are read off the raw file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import httpx
import neoclone_provider_cloudflare as cloudflare
import pytest
from neoclone_provider_cloudflare import CloudflareProvider

from neoclone_core import Capability, Pricing, ProviderContext
from neoclone_core.errors import MissingAPIKeyError
from neoclone_core.testing import RecordingServer, Reply, provider_context
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest

pytestmark = pytest.mark.anyio

MODELS_FILE = Path(__file__).parent / "fixtures" / "cloudflare-models-search.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["result"]
KEY = "cf-token-" + "0" * 32
CLOUDFLARE = ProviderUnderTest(
    CloudflareProvider, "/client/v4", MODELS_FILE, "/ai/models/search", key=KEY
)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return CLOUDFLARE.served(server, http)


async def test_text_generation_models_are_free_chat_models(ctx: ProviderContext) -> None:
    models = await CLOUDFLARE.discovered(ctx)

    assert list(models) == [e["name"] for e in RAW if e["task"]["name"] == "Text Generation"]
    assert all(m.free for m in models.values())


async def test_properties_give_context_prices_and_capabilities(ctx: ProviderContext) -> None:
    models = await CLOUDFLARE.discovered(ctx)

    oss = models["@cf/openai/gpt-oss-120b"]
    assert oss.context_length == 128_000
    assert oss.pricing == Pricing(0.35, 0.75)
    assert {Capability.TOOLS, Capability.REASONING} <= oss.capabilities
    vision = models["@cf/meta/llama-3.2-11b-vision-instruct"]
    assert Capability.VISION in vision.capabilities
    assert vision.pricing == Pricing()  # no price listed: unknown


async def test_other_tasks_are_left_out(server: RecordingServer, http: httpx.AsyncClient) -> None:
    embedder = dict(RAW[0], name="@cf/baai/bge-m3", task={"name": "Text Embeddings"})
    document = {"success": True, "result": [embedder, RAW[0]]}

    models = await CLOUDFLARE.listed(server, http, document)

    assert [m.name for m in models] == [RAW[0]["name"]]


async def test_the_account_id_goes_into_every_url(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", "/client/v4/accounts/acc123/ai/models/search", Reply.json_file(MODELS_FILE))
    base = provider_context(CloudflareProvider(), server.url + "/client/v4", http, key=KEY)
    ctx = attrs.evolve(base, options={"account_id": "acc123"})

    models = await CloudflareProvider().discover(ctx)

    assert len(models) == 3
    [sent] = server.requests
    assert sent.path == "/client/v4/accounts/acc123/ai/models/search"
    assert "per_page=1000" in sent.query


async def test_cloudflares_own_api_without_an_account_is_a_missing_setting(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID", raising=False)
    provider = CloudflareProvider()
    ctx = provider_context(provider, provider.default_base_url, http, key=KEY)

    with pytest.raises(MissingAPIKeyError) as caught:
        await provider.discover(ctx)

    assert caught.value.env_var == "CLOUDFLARE_ACCOUNT_ID"


class TestCloudflareContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract)."""

    plugin = cloudflare
    provider_class = CloudflareProvider
    model_name = "@cf/openai/gpt-oss-120b"
    listing = Reply.json_file(MODELS_FILE)
    listing_key = "result"
    id_key = "name"

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        return {"name": model_name, "task": {"name": "Text Generation"}, "properties": []}
