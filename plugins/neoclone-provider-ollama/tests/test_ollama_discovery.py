"""Ollama discovery against recorded `/api/tags` and `/api/show` answers on 127.0.0.1.

The tag list is the documented example of Ollama's `docs/api.md` (two models); the
only recorded `/api/show` is of a real qwen3 32B model, so the recording test serves
it for every tag: each model then reads as that qwen3, which checks the parsing of a
real answer, not the pairing. Expected values are computed here from the raw JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_ollama as ollama
import pytest
from neoclone_provider_ollama import OllamaProvider

from neoclone_core import Capability, Pricing, ProviderContext, RateLimit, errors
from neoclone_core.testing import RecordedRequest, RecordingServer, Reply, provider_context
from neoclone_core.testing.helpers import ProviderUnderTest, closed_port_url, registered_provider

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
TAGS_FILE = FIXTURES / "ollama-tags-docs-example.json"
SHOW_FILE = FIXTURES / "ollama-show-qwen3.json"
TAGS: list[dict[str, Any]] = json.loads(TAGS_FILE.read_bytes())["models"]
SHOW: dict[str, Any] = json.loads(SHOW_FILE.read_bytes())
NOW = 1_750_000_000.0
OLLAMA_CAPABILITIES = {
    "completion": Capability.TEXT,
    "tools": Capability.TOOLS,
    "vision": Capability.VISION,
    "thinking": Capability.REASONING,
}


OLLAMA = ProviderUnderTest(OllamaProvider, listing_path="/api/tags", now=NOW)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return OLLAMA.context(server, http)


def serve_shows(server: RecordingServer, shows: Mapping[str, object]) -> None:
    """Answer `/api/show` per model name: a body, an int status, or a Reply."""

    def reply(request: RecordedRequest) -> Reply:
        answer = shows[request.json()["model"]]
        if isinstance(answer, Reply):
            return answer
        if isinstance(answer, int):
            return Reply(answer, body={"error": f"status {answer}"})
        return Reply(body=answer)

    server.route("POST", "/api/show", reply)


def tag(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "model": name, "details": {"family": "llama"}, **fields}


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_keyless_ollama_provider() -> None:
    provider = registered_provider(ollama)

    assert isinstance(provider, OllamaProvider)
    assert (provider.name, provider.api_key_env) == ("ollama", None)
    assert provider.default_base_url == "http://127.0.0.1:11434"


# -- the recordings -------------------------------------------------------------------------


async def test_the_recordings_yield_every_tag_as_a_free_local_model(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("GET", "/api/tags", Reply.json_file(TAGS_FILE))
    server.route("POST", "/api/show", lambda _: Reply.json_file(SHOW_FILE))
    arch = SHOW["model_info"]["general.architecture"]
    context_length = SHOW["model_info"][f"{arch}.context_length"]
    capabilities = {OLLAMA_CAPABILITIES[c] for c in SHOW["capabilities"]} | {Capability.STREAMING}

    models = await OLLAMA.discovered(ctx)

    assert list(models) == [t["name"] for t in TAGS] == ["deepseek-r1:latest", "llama3.2:latest"]
    assert all(m.free for m in models.values())
    assert all(m.pricing == Pricing(0.0, 0.0) for m in models.values())
    assert all(m.rate_limit == RateLimit() for m in models.values())
    assert all(m.context_length == context_length == 40_960 for m in models.values())
    assert all(m.capabilities == capabilities for m in models.values())
    assert capabilities == {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}


async def test_every_tag_is_shown_by_its_name(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("GET", "/api/tags", Reply.json_file(TAGS_FILE))
    server.route("POST", "/api/show", lambda _: Reply.json_file(SHOW_FILE))

    models = await OLLAMA.discovered(ctx)

    shown = sorted(r.json()["model"] for r in server.requests if r.path == "/api/show")
    assert shown == sorted(t["name"] for t in TAGS)
    llama = models["llama3.2:latest"]
    assert llama.id == "ollama/llama3.2:latest"
    details = SHOW["details"]
    expected = f"llama3.2:latest ({details['parameter_size']}, {details['quantization_level']})"
    assert llama.display_name == expected == "llama3.2:latest (32.8B, Q4_K_M)"


# -- capabilities, context and free rules ---------------------------------------------------


def show(
    capabilities: list[str] | None, context_length: int = 8192, **fields: Any
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "model_info": {"general.architecture": "llama", "llama.context_length": context_length},
        **fields,
    }
    if capabilities is not None:
        answer["capabilities"] = capabilities
    return answer


async def test_capabilities_follow_ollamas_own_list(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    names = ["gemma3:4b", "qwen3:8b", "qwen2.5-coder:7b", "nomic-embed-text:latest", "old:1b"]
    server.route("GET", "/api/tags", Reply(body={"models": [tag(n) for n in names]}))
    serve_shows(
        server,
        {
            "gemma3:4b": show(["completion", "vision"]),
            "qwen3:8b": show(["completion", "tools", "thinking"]),
            "qwen2.5-coder:7b": show(["completion", "tools", "insert"]),
            "nomic-embed-text:latest": show(["embedding"]),
            "old:1b": show(None),  # servers before 0.6.4 send no list
        },
    )

    models = await OLLAMA.discovered(ctx)

    base = {Capability.TEXT, Capability.STREAMING}
    assert models["gemma3:4b"].capabilities == base | {Capability.VISION}
    assert models["qwen3:8b"].capabilities == base | {Capability.TOOLS, Capability.REASONING}
    assert models["qwen2.5-coder:7b"].capabilities == base | {Capability.TOOLS, Capability.CODE}
    assert models["old:1b"].capabilities == base
    assert "nomic-embed-text:latest" not in models  # cannot chat


async def test_a_num_ctx_parameter_is_the_window_ollama_really_uses(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("GET", "/api/tags", Reply(body={"models": [tag("a:1b"), tag("b:1b")]}))
    serve_shows(
        server,
        {
            "a:1b": show(
                ["completion"], 131_072, parameters="num_ctx                        8192\nstop x"
            ),
            "b:1b": show(["completion"], 131_072, parameters="stop x"),
        },
    )

    models = await OLLAMA.discovered(ctx)

    assert models["a:1b"].context_length == 8192
    assert models["b:1b"].context_length == 131_072


async def test_cloud_models_are_not_local_so_not_free(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    cloud = tag(
        "gpt-oss:120b-cloud", remote_model="gpt-oss:120b", remote_host="https://ollama.com:443"
    )
    server.route("GET", "/api/tags", Reply(body={"models": [cloud, tag("llama3.2:1b")]}))
    serve_shows(
        server, {"gpt-oss:120b-cloud": show(["completion"]), "llama3.2:1b": show(["completion"])}
    )

    models = await OLLAMA.discovered(ctx)

    assert not models["gpt-oss:120b-cloud"].free
    assert models["gpt-oss:120b-cloud"].pricing == Pricing(None, None)
    assert models["llama3.2:1b"].free


async def test_a_model_removed_between_the_calls_is_left_out(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    not_found = Reply.json_file(FIXTURES / "ollama-404-model-not-found.json", 404)
    server.route("GET", "/api/tags", Reply(body={"models": [tag("gone:1b"), tag("here:1b")]}))
    serve_shows(server, {"gone:1b": not_found, "here:1b": show(["completion"])})

    assert list(await OLLAMA.discovered(ctx)) == ["here:1b"]


async def test_a_model_that_cannot_be_shown_is_listed_from_its_tag(
    server: RecordingServer, ctx: ProviderContext, captured: list[MutableMapping[str, Any]]
) -> None:
    recent = tag(  # recent servers also put capabilities and context in the tag entry
        "recent:4b",
        capabilities=["completion", "vision"],
        details={"family": "gemma3", "context_length": 32_768},
    )
    server.route("GET", "/api/tags", Reply(body={"models": [tag("odd:1b"), tag("odd:2b"), recent]}))
    serve_shows(server, {"odd:1b": 500, "odd:2b": Reply(body=b"[1, 2]"), "recent:4b": 500})

    models = await OLLAMA.discovered(ctx)

    assert models["odd:1b"].capabilities == {Capability.TEXT, Capability.STREAMING}
    assert models["odd:1b"].context_length is None
    assert models["odd:2b"].free
    assert Capability.VISION in models["recent:4b"].capabilities
    assert models["recent:4b"].context_length == 32_768
    failed = sorted(e["entry"] for e in captured if e["event"] == "neoclone.model_show_failed")
    assert failed == ["odd:1b", "odd:2b", "recent:4b"]


async def test_unnamed_tags_are_skipped_with_a_warning(
    server: RecordingServer, ctx: ProviderContext, captured: list[MutableMapping[str, Any]]
) -> None:
    server.route("GET", "/api/tags", Reply(body={"models": [{"size": 1}, "junk", tag("ok:1b")]}))
    serve_shows(server, {"ok:1b": show(["completion"])})

    assert list(await OLLAMA.discovered(ctx)) == ["ok:1b"]
    skipped = [e["entry"] for e in captured if e["event"] == "neoclone.model_skipped"]
    assert skipped == ["#0", "#1"]


# -- failures ----------------------------------------------------------------------------------


async def test_no_ollama_running_is_one_clear_line(http: httpx.AsyncClient) -> None:
    url = closed_port_url()

    with pytest.raises(errors.ProviderUnavailableError) as caught:
        await OllamaProvider().discover(provider_context(OllamaProvider(), url, http))

    message = str(caught.value)
    assert f"Ollama is not running at {url}" in message
    assert "\n" not in message
    assert caught.value.provider == "ollama"


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body={"data": []}),
        Reply(body=b"<!doctype html><title>Welcome to nginx!</title>"),
        Reply(body=b'{"models": [', headers={"Content-Type": "application/json"}),
    ],
    ids=["not-a-tag-list", "html-page", "broken-json"],
)
async def test_garbage_instead_of_a_tag_list_is_malformed(
    server: RecordingServer, ctx: ProviderContext, reply: Reply
) -> None:
    server.route("GET", "/api/tags", reply)

    with pytest.raises(errors.MalformedResponseError, match="ollama: malformed response"):
        await OllamaProvider().discover(ctx)


async def test_a_tag_list_that_never_comes_is_a_timeout(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", "/api/tags", Reply(body={"models": []}, delay_s=2.0))

    with pytest.raises(errors.ProviderTimeoutError, match=r"ollama: no answer within 0.2s"):
        await OllamaProvider().discover(OLLAMA.context(server, http, timeout=0.2))


async def test_a_base_url_configured_the_openai_way_still_reaches_the_native_api(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", "/api/tags", Reply(body={"models": []}))

    assert (
        await OllamaProvider().discover(
            provider_context(OllamaProvider(), server.url + "/v1/", http)
        )
        == []
    )
    assert server.hits("GET", "/api/tags") == 1
