"""The OpenCode Zen provider against its model list, replayed on 127.0.0.1.

No public recording of Zen's `GET /models` exists: `opencode-zen-models.json` is the
shared SYNTHETIC file written from Zen's documented OpenAI-shaped list (ids only, no
pricing). The 404 body is the error Zen sends for an unknown model. Expected numbers
are computed here from the raw JSON with the rule written out plainly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_opencode as opencode
import pytest
from neoclone_provider_opencode import OpenCodeZenProvider

from neoclone_core import Capability, ModelInfo, Pricing, ProviderContext, RateLimit
from neoclone_core.errors import ModelNotFoundError
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import REQUEST, OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "opencode-zen-models.json"
NOT_FOUND_FILE = FIXTURES / "opencode-zen-404-model.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
ZEN = ProviderUnderTest(OpenCodeZenProvider, "/zen/v1", listing=MODELS_FILE, key="sk-zen-key")


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return ZEN.served(server, http)


# -- discovery ------------------------------------------------------------------------------


async def test_the_list_yields_the_numbers_the_free_rule_gives(ctx: ProviderContext) -> None:
    suffix_free = {e["id"] for e in RAW if e["id"].endswith("-free")}
    expected_free = suffix_free | ({"big-pickle"} & {e["id"] for e in RAW})

    models = await ZEN.discovered(ctx)

    assert len(models) == len(RAW) == 6
    assert set(models) == {e["id"] for e in RAW}
    assert {n for n, m in models.items() if m.free} == expected_free
    assert len(expected_free) == 4


async def test_known_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await ZEN.discovered(ctx)

    pickle = models["big-pickle"]  # promotional: free without the suffix
    assert pickle.id == "opencode/big-pickle"
    assert pickle.free
    assert models["deepseek-v4-flash-free"].free
    assert not models["gpt-5.5"].free
    assert not models["claude-sonnet-4-6"].free


async def test_the_list_says_nothing_of_prices_or_context_so_they_stay_unknown(
    ctx: ProviderContext,
) -> None:
    models = await ZEN.discovered(ctx)

    assert all(m.pricing == Pricing(None, None) for m in models.values())
    assert all(m.context_length is None for m in models.values())
    assert all(m.rate_limit == RateLimit() for m in models.values())
    assert all(
        m.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.CODE}
        for m in models.values()
    )


async def test_the_promotional_list_can_be_overridden(ctx: ProviderContext) -> None:
    models = {
        m.name: m for m in await OpenCodeZenProvider(promotional_free={"gpt-5.5"}).discover(ctx)
    }

    assert models["gpt-5.5"].free
    assert not models["big-pickle"].free  # the promotion ended in this override
    assert models["mimo-v2.5-free"].free  # the suffix rule still holds


# -- chat ---------------------------------------------------------------------------------


async def test_an_unknown_model_is_model_not_found(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", "/zen/v1/chat/completions", Reply.json_file(NOT_FOUND_FILE, 404))
    gone = ModelInfo("opencode", "nonexistent-model")

    with pytest.raises(ModelNotFoundError, match="Model 'nonexistent-model' not found") as caught:
        await OpenCodeZenProvider().chat(ctx, gone, REQUEST)

    assert caught.value.status == 404
    assert caught.value.provider == "opencode"
    assert str(ZEN.key) not in str(caught.value)


class TestOpenCodeZenContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract): a
    public list, asked for under neoclone's own User-Agent (opencode.ai's web firewall
    refuses generic library agents). No Zen chat body or 429 is recorded: OpenAI's
    documented shape, which Zen's `/chat/completions` follows, and a standard
    `Retry-After`."""

    plugin = opencode
    provider_class = OpenCodeZenProvider
    model_name = "big-pickle"
    listing = Reply.json_file(MODELS_FILE)
