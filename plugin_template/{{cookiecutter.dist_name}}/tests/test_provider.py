"""The {{ cookiecutter.provider_title }} provider against its model list, replayed by a local server.

`neoclone_core.testing.RecordingServer` is a real HTTP server on 127.0.0.1: the provider's
own HTTP code runs unchanged, and no test touches the network. Expected values are
computed from the raw fixture with the rules written out plainly, not by calling the
code under test.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from neoclone_core import (
    Capability,
    ChatRequest,
    ModelInfo,
    Provider,
    ProviderContext,
    ScanStatus,
)
from neoclone_core.errors import (
    MalformedResponseError,
    MissingAPIKeyError,
    RateLimitedError,
)
from neoclone_core.testing import (
    RecordingServer,
    Reply,
    completion_chunk,
    neoclone_with,
    provider_context,
)

import {{ cookiecutter.package_name }} as plugin
from {{ cookiecutter.package_name }} import {{ cookiecutter.class_name }}

pytestmark = pytest.mark.anyio

MODELS_FILE = Path(__file__).parent / "fixtures" / "models.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["data"]
KEY_ENV = "{{ cookiecutter.api_key_env }}"
KEY = "test-key-" + "0123456789abcdef" * 2
MODELS = "/v1/models"
CHAT = "/v1/chat/completions"


def context(
    server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY
) -> ProviderContext:
    return provider_context({{ cookiecutter.class_name }}(), server.url + "/v1", http, key=key)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    server.route("GET", MODELS, Reply.json_file(MODELS_FILE))
    return context(server, http)


async def discovered(ctx: ProviderContext) -> dict[str, ModelInfo]:
    return {m.name: m for m in await {{ cookiecutter.class_name }}().discover(ctx)}


def is_chat_model(entry: dict[str, Any]) -> bool:
    """Embedding models share the list but answer no chat."""
    return "embed" not in entry["id"]


def listed_free(entry: dict[str, Any]) -> bool:
    """Free: both prices listed, and zero."""
    pricing = entry.get("pricing") or {}
    return pricing.get("prompt") == "0" and pricing.get("completion") == "0"


# -- the plugin -----------------------------------------------------------------------


def test_the_plugin_registers_one_provider() -> None:
    registered: list[Provider] = []

    plugin.neoclone_register_providers(registered.append)

    [provider] = registered
    assert isinstance(provider, Provider)
    assert provider.name == "{{ cookiecutter.provider_name }}"
    assert provider.api_key_env == KEY_ENV


# -- discovery ------------------------------------------------------------------------


async def test_every_chat_model_is_listed_and_the_rest_left_out(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    assert set(models) == {e["id"] for e in RAW if is_chat_model(e)}
    assert "text-embed-small" not in models


async def test_free_models_are_the_ones_listed_at_a_price_of_zero(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    assert {name for name, m in models.items() if m.free} == {
        e["id"] for e in RAW if is_chat_model(e) and listed_free(e)
    }
    assert not models["preview-large"].free  # no price listed: never assumed free


async def test_context_and_capabilities_are_read_from_the_list(ctx: ProviderContext) -> None:
    models = await discovered(ctx)

    swift = models["swift-8b-instruct"]
    assert swift.id == "{{ cookiecutter.provider_name }}/swift-8b-instruct"
    assert swift.display_name == "Swift 8B Instruct"
    assert swift.context_length == 32_768
    assert swift.capabilities == {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}
    assert Capability.VISION in models["lens-11b-vision"].capabilities
    assert models["preview-large"].context_length is None


async def test_the_list_is_asked_for_with_the_key_in_a_header(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    await {{ cookiecutter.class_name }}().discover(ctx)

    [sent] = server.requests
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in sent.path + sent.query


async def test_without_a_key_discovery_is_skipped_before_any_request(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(MissingAPIKeyError, match=KEY_ENV):
        await {{ cookiecutter.class_name }}().discover(context(server, http, key=None))

    assert server.requests == []


async def test_an_unreadable_entry_is_skipped_with_a_warning(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    server.route("GET", MODELS, Reply(body={"data": [RAW[0], {"object": "model"}, "odd"]}))

    models = await {{ cookiecutter.class_name }}().discover(context(server, http))

    assert [m.name for m in models] == [RAW[0]["id"]]
    assert [e["entry"] for e in captured if e["log_level"] == "warning"] == ["#1", "#2"]


async def test_a_document_without_a_data_list_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", MODELS, Reply(body={"models": []}))

    with pytest.raises(MalformedResponseError, match="no 'data' list"):
        await {{ cookiecutter.class_name }}().discover(context(server, http))


# -- chat and streaming ---------------------------------------------------------------

MODEL = ModelInfo("{{ cookiecutter.provider_name }}", "swift-8b-instruct", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=16)


def completion(content: str) -> dict[str, Any]:
    """A chat completion in OpenAI's documented shape."""
    message = {"role": "assistant", "content": content}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL.name,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2},
    }


async def test_chat_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    server.route("POST", CHAT, Reply(body=completion("Hi!")))

    response = await {{ cookiecutter.class_name }}().chat(ctx, MODEL, REQUEST)

    assert response.content == "Hi!"
    assert response.model_id == MODEL.id
    sent = server.requests[-1].json()
    assert (sent["model"], sent["max_tokens"]) == ("swift-8b-instruct", 16)


async def test_streaming_round_trip(server: RecordingServer, ctx: ProviderContext) -> None:
    chunks = [completion_chunk("Hi"), completion_chunk(" there"), completion_chunk("", "stop")]
    server.route("POST", CHAT, Reply.sse(chunks))

    received = [c async for c in {{ cookiecutter.class_name }}().stream(ctx, MODEL, REQUEST)]

    assert "".join(c.content for c in received) == "Hi there"
    assert server.requests[-1].json()["stream"] is True


async def test_a_429_is_a_rate_limit_that_says_when_to_come_back(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    body = {"error": {"message": "Rate limit exceeded", "code": 429}}
    server.route("POST", CHAT, Reply(status=429, headers={"retry-after": "20"}, body=body))

    with pytest.raises(RateLimitedError) as caught:
        await {{ cookiecutter.class_name }}().chat(ctx, MODEL, REQUEST)

    assert caught.value.retry_after == 20.0


# -- end to end -----------------------------------------------------------------------


async def test_neoclone_discovers_the_free_models_and_runs_one(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", MODELS, Reply.json_file(MODELS_FILE))
    server.route("POST", CHAT, Reply(body=completion("Hello from the plugin.")))
    running = neoclone_with(plugin, tmp_path, base_url=server.url + "/v1", env={KEY_ENV: KEY})

    async with running:
        [scan] = await running.discover()
        free = {m.name for m in running.models(free_only=True)}
        response, route = await running.chat("Say hello", models=[MODEL.id])

    assert (scan.status, scan.models) == (ScanStatus.SCANNED, 4)
    assert free == {e["id"] for e in RAW if is_chat_model(e) and listed_free(e)}
    assert response.content == "Hello from the plugin."
    assert route.served_by == MODEL.id


async def test_neoclone_skips_the_provider_without_a_key(
    server: RecordingServer, tmp_path: Path
) -> None:
    async with neoclone_with(plugin, tmp_path, base_url=server.url + "/v1") as running:
        [scan] = await running.discover()

    assert scan.status == ScanStatus.SKIPPED
    assert scan.message == "{{ cookiecutter.provider_name }}: no API key (set {{ cookiecutter.api_key_env }})"
    assert server.requests == []
