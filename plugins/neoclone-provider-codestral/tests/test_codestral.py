"""The Codestral provider: its documented model, and chat on 127.0.0.1.

No list is asked for (the Codestral domain documents none); chat and stream bodies are
OpenAI's documented shape, which Mistral's API speaks.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import neoclone_provider_codestral as codestral
import pytest
from neoclone_provider_codestral import CodestralProvider

from neoclone_core import Capability, ScanStatus
from neoclone_core.errors import MissingAPIKeyError
from neoclone_core.testing import RecordingServer, provider_context
from neoclone_core.testing.contract import OpenAICompatChatContract
from neoclone_core.testing.helpers import neoclone_with

pytestmark = pytest.mark.anyio

KEY = "0123456789abcdef0123456789abcdef"


async def test_the_documented_model_is_listed_free_without_a_request(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    provider = CodestralProvider()
    ctx = provider_context(provider, server.url + "/v1", http, key=KEY)

    [model] = await provider.discover(ctx)

    assert model.id == "codestral/codestral-latest"
    assert model.free and Capability.CODE in model.capabilities
    assert server.requests == []


async def test_without_a_key_the_scan_is_skipped(http: httpx.AsyncClient, tmp_path: Path) -> None:
    provider = CodestralProvider()
    with pytest.raises(MissingAPIKeyError):
        await provider.discover(provider_context(provider, provider.default_base_url, http))

    async with neoclone_with(codestral, tmp_path) as nc:
        [scan] = await nc.discover()
    assert scan.status is ScanStatus.SKIPPED


async def test_neoclone_lists_it_as_free(tmp_path: Path) -> None:
    async with neoclone_with(codestral, tmp_path, env={"CODESTRAL_API_KEY": KEY}) as nc:
        await nc.discover()
        free = nc.models(provider="codestral", free_only=True)
    assert [m.name for m in free] == ["codestral-latest"]


class TestCodestralChatContract(OpenAICompatChatContract):
    """The chat half of what every OpenAI-compatible provider does."""

    plugin = codestral
    provider_class = CodestralProvider
    model_name = "codestral-latest"
