"""The {{ cookiecutter.provider_title }} provider against its model list, replayed by a local server.

`neoclone_core.testing.RecordingServer` is a real HTTP server on 127.0.0.1: the provider's
own HTTP code runs unchanged, and no test touches the network. `fixtures/models.json`
is written for the template (fixtures/README.md says what it holds; replace it with a
recording of the real list). Expected values are computed from the raw fixture with the rules
written out plainly, not by calling the code under test. What every OpenAI-compatible
provider must do (keys, timeouts, broken lists, chat, streams, rate limits) is the
contract class at the end, from `neoclone_core.testing.contract`; its attributes say
where this provider departs from OpenAI's shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from neoclone_core import Capability, ProviderContext
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.contract import OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest

import {{ cookiecutter.package_name }} as plugin
from {{ cookiecutter.package_name }} import {{ cookiecutter.class_name }}

pytestmark = pytest.mark.anyio

MODELS_FILE = Path(__file__).parent / "fixtures" / "models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
PROVIDER = ProviderUnderTest({{ cookiecutter.class_name }}, "/v1", listing=MODELS_FILE, key="test-key")


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return PROVIDER.served(server, http)


def is_chat_model(entry: dict[str, Any]) -> bool:
    """Embedding models share the list but answer no chat."""
    return "embed" not in entry["id"]


def listed_free(entry: dict[str, Any]) -> bool:
    """Free: both prices listed, and zero."""
    pricing = entry.get("pricing") or {}
    return pricing.get("prompt") == "0" and pricing.get("completion") == "0"


# -- discovery ------------------------------------------------------------------------


async def test_every_chat_model_is_listed_and_the_rest_left_out(ctx: ProviderContext) -> None:
    models = await PROVIDER.discovered(ctx)

    assert set(models) == {e["id"] for e in RAW if is_chat_model(e)}
    assert "text-embed-small" not in models


async def test_free_models_are_the_ones_listed_at_a_price_of_zero(ctx: ProviderContext) -> None:
    models = await PROVIDER.discovered(ctx)

    assert {name for name, m in models.items() if m.free} == {
        e["id"] for e in RAW if is_chat_model(e) and listed_free(e)
    }
    assert not models["preview-large"].free  # no price listed: never assumed free


async def test_context_and_capabilities_are_read_from_the_list(ctx: ProviderContext) -> None:
    models = await PROVIDER.discovered(ctx)

    swift = models["swift-8b-instruct"]
    assert swift.id == "{{ cookiecutter.provider_name }}/swift-8b-instruct"
    assert swift.display_name == "Swift 8B Instruct"
    assert swift.context_length == 32_768
    assert swift.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}
    assert Capability.VISION in models["lens-11b-vision"].capabilities
    assert models["preview-large"].context_length is None


# -- what every OpenAI-compatible provider does ---------------------------------------


class Test{{ cookiecutter.class_name }}Contract(OpenAICompatProviderContract):
    """Registration, keys, timeouts, broken lists, chat, streams, rate limits and
    refused keys (neoclone_core.testing.contract), against the fixture's list. Set an
    attribute where the provider departs from OpenAI's shape: `listing_key`, `completion`,
    `rate_limited` (a recorded 429, with `rate_limited_wait` and `rate_limited_says`),
    `refused`; override `listing_entry` to build an entry the provider reads."""

    plugin = plugin
    provider_class = {{ cookiecutter.class_name }}
    model_name = "swift-8b-instruct"
    listing = Reply.json_file(MODELS_FILE)
