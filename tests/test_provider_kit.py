"""What provider plugins share: tolerant model-list reading, value readers, and the base
class of OpenAI-compatible providers, run against a RecordingServer on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from decimal import Decimal
from typing import Any

import httpx
import pytest

from neoclone_core import ChatRequest, ModelInfo, Pricing, Provider, ProviderContext, build_plugins
from neoclone_core import hookimpl as neoclone_hookimpl
from neoclone_core.errors import (
    AuthenticationError,
    MalformedResponseError,
    MissingAPIKeyError,
)
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    UnreadableEntryError,
    as_mapping,
    entry_and_id,
    is_code_model,
    is_reasoning_model,
    log_left_out,
    malformed,
    model_list,
    not_chat_by_name,
    not_chat_by_output,
    parse_model_list,
    positive_int,
    price_per_million,
    read_entries,
    read_pricing,
    stripped_str,
)
from neoclone_core.testing import RecordingServer, Reply, completion_chunk, provider_context

KEY = "acme-test-key-0123456789abcdef"
MODEL = ModelInfo("acme", "m1", free=True)
REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=8)
COMPLETION = {"choices": [{"message": {"content": "Hi!"}, "finish_reason": "stop"}]}


def free_model(entry: object) -> ModelInfo | None:
    fields, model_id = entry_and_id(entry)
    if fields.get("type") == "embedding":
        log_left_out("acme", model_id, "not chat")
        return None
    return ModelInfo("acme", model_id, context_length=positive_int(fields.get("ctx")), free=True)


def skipped(captured: list[MutableMapping[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (e["entry"], e["log_level"], e["reason"])
        for e in captured
        if e["event"] == "neoclone.model_skipped"
    ]


# -- the model list ----------------------------------------------------------------------


def test_model_list_finds_the_data_list_or_a_bare_array() -> None:
    assert model_list({"data": [1, 2]}, "acme") == [1, 2]
    assert model_list({"models": [3]}, "acme", key="models") == [3]
    assert model_list([4], "acme", key=None) == [4]


@pytest.mark.parametrize(
    ("document", "key", "what", "why"),
    [
        ({"models": []}, "data", "model list", "the model list has no 'data' list"),
        ([], "data", "model list", "the model list has no 'data' list"),
        ({"data": {"id": "x"}}, "data", "model list", "the model list has no 'data' list"),
        ({"results": []}, "models", "collection", "the collection has no 'models' list"),
        ({"data": []}, None, "catalog", "the catalog is not a JSON array"),
        (7, None, "model list", "the model list is not a JSON array"),
    ],
)
def test_a_document_without_its_list_is_malformed(
    document: object, key: str | None, what: str, why: str
) -> None:
    with pytest.raises(MalformedResponseError) as caught:
        model_list(document, "acme", key=key, what=what)

    assert str(caught.value) == f"acme: malformed response: {why}"
    assert (caught.value.provider, caught.value.status) == ("acme", 200)


def test_unreadable_entries_are_skipped_with_a_warning_and_the_rest_kept(
    captured: list[MutableMapping[str, Any]],
) -> None:
    document = {
        "data": [
            {"id": "good", "ctx": 4096},
            {"name": "no id"},
            "junk",
            {"id": "  "},
            {"id": "embedder", "type": "embedding"},
            {"id": "odd-context", "ctx": "big"},
        ]
    }

    models = parse_model_list(document, "acme", free_model)

    assert [(m.name, m.context_length) for m in models] == [("good", 4096), ("odd-context", None)]
    assert skipped(captured) == [
        ("#1", "warning", "no id"),
        ("#2", "warning", "not an object but str"),
        ("  ", "warning", "no id"),  # named as written, since it is a non-empty string
        ("embedder", "debug", "not chat"),
    ]


def test_entries_are_named_by_another_field_or_by_position_alone(
    captured: list[MutableMapping[str, Any]],
) -> None:
    def refuse(entry: object) -> None:
        msg = "unreadable"
        raise UnreadableEntryError(msg)

    entries = [{"name": "models/x", "id": "x"}, {"id": "y"}]
    read_entries(entries, "acme", refuse, name_key="name")
    read_entries(entries, "acme", refuse, name_key=None)

    assert [e[0] for e in skipped(captured)] == ["models/x", "#1", "#0", "#1"]


def test_a_constructor_refusing_a_value_skips_the_entry_but_other_errors_propagate(
    captured: list[MutableMapping[str, Any]],
) -> None:
    def typed(entry: object) -> int:
        return int(str(entry))  # ValueError for "x"

    def broken(entry: object) -> int:
        raise KeyError(entry)

    assert read_entries(["1", "x", "3"], "acme", typed) == [1, 3]
    assert [e[0] for e in skipped(captured)] == ["#1"]
    with pytest.raises(KeyError):  # a bug in the reader is not an odd entry
        read_entries(["1"], "acme", broken)


def test_identify_returns_the_entry_and_its_id_as_written() -> None:
    entry = {"id": " spaced ", "name": "models/gemini"}

    assert entry_and_id(entry) == (entry, " spaced ")
    assert entry_and_id(entry, "name")[1] == "models/gemini"
    with pytest.raises(UnreadableEntryError, match="not an object but list"):
        entry_and_id([])
    with pytest.raises(UnreadableEntryError, match="no name"):
        entry_and_id({"name": 3}, "name")


def test_left_out_and_malformed_say_who_and_why(
    captured: list[MutableMapping[str, Any]],
) -> None:
    log_left_out("acme", "m1", "retired")
    error = malformed("acme", "no 'message'", model="m1")

    assert captured == [
        {
            "event": "neoclone.model_skipped",
            "log_level": "debug",
            "provider": "acme",
            "entry": "m1",
            "reason": "retired",
        }
    ]
    assert str(error) == "acme: malformed response: no 'message'"
    assert (error.provider, error.model, error.status) == ("acme", "m1", 200)


# -- values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(8192, 8192), (0, None), (-1, None), (True, None), ("8192", None), (None, None)],
)
def test_positive_int(value: object, expected: int | None) -> None:
    assert positive_int(value) == expected


def test_text_and_mapping_read_absent_or_odd_values_as_empty() -> None:
    assert (stripped_str("  Llama  "), stripped_str(None), stripped_str(3)) == ("Llama", "", "")
    assert as_mapping({"a": 1}) == {"a": 1}
    assert as_mapping(["a"]) == {} == as_mapping(None)
    assert as_mapping(as_mapping(None).get("nested")).get("deeper") is None


@pytest.mark.parametrize(
    ("value", "per_token", "expected"),
    [
        ("0.000015", True, 15.0),  # exactly, through Decimal
        ("0.0000008", True, 0.8),
        (0.000015, True, 15.0),
        ("0", True, 0.0),
        (0.88, False, 0.88),
        (" 1.5 ", False, 1.5),
        (3, False, 3.0),
        ("-1", True, None),  # "varies", as routers write it
        (None, False, None),
    ],
)
def test_price_per_million(value: object, per_token: bool, expected: float | None) -> None:
    assert price_per_million(value, per_token=per_token) == expected


def test_price_per_million_is_exact_where_floats_are_not() -> None:
    assert float("0.000000019") * 1_000_000 != 0.019  # why Decimal
    assert price_per_million("0.000000019", per_token=True) == float(Decimal("0.019"))


@pytest.mark.parametrize("value", ["free", True, [0], {"usd": 1}, "nan", "inf", "1e400"])
def test_a_price_that_is_no_finite_number_makes_the_entry_unreadable(value: object) -> None:
    with pytest.raises(UnreadableEntryError, match="is not a number"):
        price_per_million(value)


def test_read_pricing() -> None:
    openrouter_style = {"prompt": "0.000015", "completion": "0.000075"}

    assert read_pricing(openrouter_style, "prompt", "completion", per_token=True) == Pricing(
        15.0, 75.0
    )
    assert read_pricing({"input": 0.2, "output": 0}) == Pricing(0.2, 0.0)
    assert read_pricing({"input": 0}) == Pricing(0.0, None)
    assert read_pricing(None) == Pricing()
    with pytest.raises(UnreadableEntryError, match="pricing is not an object"):
        read_pricing(["0", "0"])


# -- the base class ----------------------------------------------------------------------


class AcmeProvider(OpenAICompatibleProvider):
    """Only what a plugin for an OpenAI-compatible provider must write."""

    name = "acme"
    default_base_url = "https://api.acme.example/v1"
    api_key_env: str | None = "ACME_API_KEY"

    def model_from_entry(self, entry: object) -> ModelInfo | None:
        return free_model(entry)


class PublicAcme(AcmeProvider):
    discovery_needs_key = False


class AskingAcme(PublicAcme):
    refusal_means_no_key = True


API_VERSION = {"X-Api-Version": "2"}


class OddAcme(AcmeProvider):
    models_path = "/catalog"
    chat_path = "/inference/chat"
    headers = API_VERSION
    key_header = "x-acme-key"

    def parse_models(self, document: object, ctx: ProviderContext) -> list[ModelInfo]:
        return parse_model_list(document, ctx.provider, self.model_from_entry, key=None)


def context(
    provider: Provider, server: RecordingServer, http: httpx.AsyncClient, key: str | None = KEY
) -> ProviderContext:
    return provider_context(provider, server.url + "/v1", http, key=key, now=0.0)


def test_a_subclass_is_a_provider_the_core_accepts() -> None:
    class Plugin:
        @neoclone_hookimpl
        def neoclone_register_providers(self, register: Callable[[Provider], None]) -> None:
            register(AcmeProvider())

    providers = build_plugins(entry_points=False, extra=[("acme", Plugin())]).providers()

    assert isinstance(providers["acme"], Provider)


@pytest.mark.anyio
async def test_discovery_reads_the_data_list_with_model_from_entry(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", "/v1/models", Reply(body={"data": [{"id": "m1", "ctx": 8192}, 7]}))

    models = await AcmeProvider().discover(context(AcmeProvider(), server, http))

    assert [(m.id, m.context_length) for m in models] == [("acme/m1", 8192)]
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.anyio
async def test_a_list_that_needs_the_key_is_not_asked_for_without_one(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(MissingAPIKeyError, match="ACME_API_KEY"):
        await AcmeProvider().discover(context(AcmeProvider(), server, http, key=None))

    assert server.requests == []


@pytest.mark.anyio
async def test_a_public_list_is_read_without_a_key(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", "/v1/models", Reply(body={"data": [{"id": "m1"}]}))

    models = await PublicAcme().discover(context(PublicAcme(), server, http, key=None))

    assert [m.name for m in models] == ["m1"]
    assert "authorization" not in server.requests[0].headers


@pytest.mark.anyio
async def test_a_refusal_without_a_key_means_set_one_only_when_the_provider_says_so(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", "/v1/models", Reply(401, body={"message": "Requires authentication"}))

    with pytest.raises(MissingAPIKeyError, match="ACME_API_KEY"):
        await AskingAcme().discover(context(AskingAcme(), server, http, key=None))
    with pytest.raises(AuthenticationError):  # a key was sent and refused: say so
        await AskingAcme().discover(context(AskingAcme(), server, http))
    with pytest.raises(AuthenticationError):
        await PublicAcme().discover(context(PublicAcme(), server, http, key=None))


@pytest.mark.anyio
async def test_paths_headers_and_the_key_header_are_class_attributes(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", "/v1/catalog", Reply(body=[{"id": "m1"}]))
    server.route("POST", "/v1/inference/chat", Reply(body=COMPLETION))
    ctx = context(OddAcme(), server, http)

    [model] = await OddAcme().discover(ctx)
    response = await OddAcme().chat(ctx, model, REQUEST)

    assert response.content == "Hi!"
    for sent in server.requests:
        assert sent.headers["x-api-version"] == "2"
        assert sent.headers["x-acme-key"] == KEY
        assert "authorization" not in sent.headers


@pytest.mark.anyio
async def test_chat_and_stream_need_the_key_and_go_through_the_shared_client(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("POST", "/v1/chat/completions", Reply(body=COMPLETION))
    ctx = context(AcmeProvider(), server, http)
    keyless = context(AcmeProvider(), server, http, key=None)

    with pytest.raises(MissingAPIKeyError):
        await AcmeProvider().chat(keyless, MODEL, REQUEST)
    with pytest.raises(MissingAPIKeyError):
        [c async for c in AcmeProvider().stream(keyless, MODEL, REQUEST)]
    assert server.requests == []

    assert (await AcmeProvider().chat(ctx, MODEL, REQUEST)).content == "Hi!"
    server.route(
        "POST", "/v1/chat/completions", Reply.sse([completion_chunk("Hi"), completion_chunk("!")])
    )
    chunks = [c.content async for c in AcmeProvider().stream(ctx, MODEL, REQUEST)]
    assert chunks == ["Hi", "!"]
    assert server.requests[-1].json()["stream"] is True


@pytest.mark.anyio
async def test_a_subclass_that_says_nothing_reads_its_list_as_chat_models_none_free(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    class Plain(OpenAICompatibleProvider):
        name = "plain"
        default_base_url = "https://api.plain.example/v1"
        api_key_env: str | None = None
        discovery_needs_key = False

    entries = [{"id": "m1", "context_length": 8192}, {"id": "text-embedding-3-small"}]
    server.route("GET", "/v1/models", Reply(body={"data": entries}))

    models = await Plain().discover(context(Plain(), server, http))

    assert [(m.id, m.context_length, m.free) for m in models] == [("plain/m1", 8192, False)]


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (("qwen/qwen-2.5-coder-32b-instruct:free",), True),
        (("mistral/codestral-latest",), True),
        (("mistralai/devstral-small:free",), True),
        (("llama3.2", "codellama"), True),  # an Ollama family
        (("google/codegemma-7b",), True),
        (("bigcode/starcoder2-15b",), True),
        (("Claude Code helper",), True),
        (("meta-llama/llama-3.3-70b-instruct:free",), False),
        (("infly/OpenCoder-8B-Instruct",), True),
        (("opencoder:8b",), True),
        (("vendor/barcode-reader", "decoder-only"), False),  # "code" inside a word
        (("google/t5-encoder",), False),
    ],
)
def test_a_code_model_is_known_by_its_name(names: tuple[str, ...], code: bool) -> None:
    assert is_code_model(*names) is code


@pytest.mark.parametrize(
    ("name", "reasoning"),
    [
        ("deepseek-ai/DeepSeek-R1", True),
        ("deepseek/deepseek-r1-distill-llama-70b:free", True),
        ("deepseek-r1:8b", True),  # an Ollama tag
        ("deepseek/deepseek-r1:free", True),
        ("Qwen/QwQ-32B", True),
        ("moonshotai/kimi-vl-a3b-thinking:free", True),
        ("microsoft/phi-4-reasoning:free", True),
        ("vendor/r10-large", False),
        ("meta-llama/llama-3.3-70b-instruct:free", False),
    ],
)
def test_a_reasoning_model_is_known_by_its_name(name: str, reasoning: bool) -> None:
    assert is_reasoning_model(name) is reasoning


@pytest.mark.parametrize(
    ("outputs", "reason"),
    [
        (["text"], None),
        (["TEXT "], None),
        (["text", "audio"], "outputs audio+text: not a chat model"),  # Lyria's
        (["image", "text"], "outputs image+text: not a chat model"),
        (["embeddings"], "no text output"),
        ([], "no text output"),
    ],
)
def test_a_chat_model_outputs_text_and_only_text(outputs: list[str], reason: str | None) -> None:
    assert not_chat_by_output(outputs) == reason


@pytest.mark.parametrize(
    "name",
    [
        "BAAI/bge-m3",
        "nvidia/nv-embedqa-e5-v5",
        "openai/whisper-large-v3",
        "meta-llama/llama-guard-4-12b",
        "nvidia/nemotron-3.5-content-safety:free",
        "Meta: Llama 3.1 405B (base)",
        "google/lyria-3-pro-preview",
        "black-forest-labs/FLUX.1-schnell",
        "nvidia/llama-3.2-nv-rerankqa-1b-v2",
    ],
)
def test_names_that_mark_no_chat_model(name: str) -> None:
    assert not_chat_by_name("x", name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "meta/llama-3.3-70b-instruct",
        "Qwen/Qwen2.5-Coder-32B",
        "deepseek-ai/DeepSeek-R1",
        "gpt-oss-120b",
    ],
)
def test_chat_model_names_pass(name: str) -> None:
    assert not_chat_by_name(name) is None
