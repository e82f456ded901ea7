"""The Replicate provider against recorded and documented answers, replayed on 127.0.0.1.

Recorded (real responses of api.replicate.com, taken verbatim from the cassettes of
replicate/replicate-python, see fixtures/README.md): a `Prefer: wait` prediction that
came back still `processing` with part of its output, a prediction created without
waiting (`starting`), and the 401 for a bad token.

NOT recorded, built from Replicate's documented shapes and said so where used: the
`language-models` collection (no recording exists; `fixtures/synthetic/` follows the
collection schema of Replicate's OpenAPI spec), the `succeeded` poll answers, the 429
body (quoted from Replicate's rate-limit docs) and the 404 (the recorded 401's shape).
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import neoclone_provider_replicate as replicate
import pytest
from neoclone_provider_replicate import ReplicateProvider, prediction_input

from neoclone_core import Capability, ChatRequest, ModelInfo, Pricing, ProviderContext, errors
from neoclone_core.testing import RecordingServer, Reply, neoclone_with
from neoclone_core.testing.helpers import ProviderUnderTest, registered_provider

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
COLLECTION_FILE = FIXTURES / "synthetic" / "replicate-collection-language-models.json"
WAITED_FILE = FIXTURES / "replicate-prediction-create-wait-processing.json"
STARTING_FILE = FIXTURES / "replicate-prediction-create-starting.json"
UNAUTHENTICATED_FILE = FIXTURES / "replicate-401-unauthenticated.json"
RAW: list[dict[str, Any]] = json.loads(COLLECTION_FILE.read_bytes())["models"]
WAITED: dict[str, Any] = json.loads(WAITED_FILE.read_bytes())
BASE = "/v1"
KEY = "r8_" + "0123456789abcdefABCDEF0123456789abcdef"
NOW = 1_728_065_260.0
LLAMA = ModelInfo("replicate", "meta/meta-llama-3-8b-instruct")
REQUEST = ChatRequest.from_prompt("Please write a haiku about llamas", max_tokens=64)
CREATE = f"{BASE}/models/meta/meta-llama-3-8b-instruct/predictions"


def provider() -> ReplicateProvider:
    return ReplicateProvider(poll_interval=0.01)


REPLICATE = ProviderUnderTest(
    provider, BASE, COLLECTION_FILE, "/collections/language-models", key=KEY, now=NOW
)
context = REPLICATE.context


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return REPLICATE.served(server, http)


def finished(prediction: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A later state of a recorded prediction, as `GET /v1/predictions/{id}` answers
    (built from the Prediction schema; no succeeded poll was recorded)."""
    return {**prediction, "status": "succeeded", "completed_at": "2024-10-04T18:07:34Z", **fields}


def input_names(entry: dict[str, Any]) -> set[str]:
    version = entry.get("latest_version") or {}
    schemas = version.get("openapi_schema", {}).get("components", {}).get("schemas", {})
    return set(schemas.get("Input", {}).get("properties", {}))


# -- the provider object ------------------------------------------------------------------


def test_the_plugin_registers_one_replicate_provider() -> None:
    registered = registered_provider(replicate)

    assert isinstance(registered, ReplicateProvider)
    assert (registered.name, registered.api_key_env) == ("replicate", "REPLICATE_API_TOKEN")
    assert registered.default_base_url == "https://api.replicate.com/v1"


# -- discovery ------------------------------------------------------------------------------


async def test_the_collection_yields_its_official_models_none_of_them_free(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """The collection file is SYNTHETIC (documented shape, no recording exists)."""
    official = [f"{e['owner']}/{e['name']}" for e in RAW if e.get("is_official") is True]

    models = {m.name: m for m in await provider().discover(ctx)}

    assert list(models) == official
    assert len(models) == 6
    assert len(RAW) == 8  # a community model and one without is_official are left out
    assert not any(m.free for m in models.values())
    assert all(m.pricing == Pricing(None, None) for m in models.values())
    sent = server.requests[-1]
    assert sent.path == f"{BASE}/collections/language-models"
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_capabilities_follow_the_input_schemas(ctx: ProviderContext) -> None:
    """SYNTHETIC collection, see the test above."""
    vision = {
        f"{e['owner']}/{e['name']}"
        for e in RAW
        if e.get("is_official") is True and input_names(e) & {"image", "image_input"}
    }

    models = {m.name: m for m in await provider().discover(ctx)}

    assert {n for n, m in models.items() if Capability.VISION in m.capabilities} == vision
    assert vision == {"openai/gpt-4o-mini", "openai/gpt-5"}
    assert models["openai/gpt-5"].capabilities == {
        Capability.TEXT,
        Capability.VISION,
        Capability.REASONING,
    }
    assert models["meta/meta-llama-3-8b-instruct"].capabilities == {Capability.TEXT}
    assert models["meta/meta-llama-3-70b-instruct"].capabilities == {Capability.TEXT}  # no schema
    assert all(Capability.STREAMING not in m.capabilities for m in models.values())


async def test_discovery_needs_the_token_and_sends_nothing_without_it(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(errors.MissingAPIKeyError, match="REPLICATE_API_TOKEN"):
        await provider().discover(context(server, http, key=None))

    assert server.requests == []


async def test_a_refused_token_is_an_authentication_error(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    problem = {"Content-Type": "application/problem+json"}
    server.route(
        "GET",
        f"{BASE}/collections/language-models",
        Reply.json_file(UNAUTHENTICATED_FILE, 401, problem),
    )

    with pytest.raises(
        errors.AuthenticationError, match="did not pass a valid authentication token"
    ):
        await provider().discover(context(server, http))


async def test_unreadable_and_unnamed_entries_are_skipped(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {
        "models": [
            {"owner": "meta", "is_official": True},
            "junk",
            {"owner": "a", "name": "b", "is_official": True, "latest_version": "odd"},
        ]
    }
    server.route("GET", f"{BASE}/collections/language-models", Reply(body=document))

    models = await provider().discover(context(server, http))

    assert [m.name for m in models] == ["a/b"]
    skipped = [e["entry"] for e in captured if e["event"] == "neoclone.model_skipped"]
    assert skipped == ["#0", "#1"]


@pytest.mark.parametrize(
    "reply",
    [Reply(body={"results": []}), Reply(body=b"<html><title>Cloudflare</title></html>")],
    ids=["no-models-list", "html"],
)
async def test_a_garbage_collection_is_malformed(
    server: RecordingServer, http: httpx.AsyncClient, reply: Reply
) -> None:
    server.route("GET", f"{BASE}/collections/language-models", reply)

    with pytest.raises(errors.MalformedResponseError, match="replicate: malformed response"):
        await provider().discover(context(server, http))


# -- chat -----------------------------------------------------------------------------------


async def test_a_waited_prediction_still_processing_is_polled_to_its_end(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """The 201 is RECORDED (Prefer: wait, still processing); the poll answer is built."""
    poll = f"{BASE}/predictions/{WAITED['id']}"
    metrics = {"input_token_count": 18, "output_token_count": 12, "predict_time": 0.4}
    server.route("POST", CREATE, Reply.json_file(WAITED_FILE, 201))
    server.route("GET", poll, Reply(body=WAITED), Reply(body=finished(WAITED, metrics=metrics)))

    response = await provider().chat(ctx, LLAMA, REQUEST)

    expected = "".join(WAITED["output"])
    assert response.content == expected
    assert expected.startswith("\n\nFuzzy, gentle beasts")
    assert response.model_id == "replicate/meta/meta-llama-3-8b-instruct"
    assert response.finish_reason == "stop"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (18, 12)
    assert server.hits("GET", poll) == 2
    created = server.requests[0]
    assert created.json() == {
        "input": {"prompt": "Please write a haiku about llamas", "max_tokens": 64}
    }
    assert created.headers["prefer"] == "wait=4"
    assert created.headers["authorization"] == f"Bearer {KEY}"


async def test_a_prediction_created_without_output_yet_is_polled_too(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """The 201 is RECORDED (`starting`, no output); the poll answer is built."""
    starting = json.loads(STARTING_FILE.read_bytes())
    poll = f"{BASE}/predictions/{starting['id']}"
    server.route("POST", CREATE, Reply.json_file(STARTING_FILE, 201))
    server.route("GET", poll, Reply(body=finished(starting, output=["Soft", " wool"])))

    response = await provider().chat(ctx, LLAMA, REQUEST)

    assert response.content == "Soft wool"
    assert response.usage.prompt_tokens is None  # no metrics given


async def test_a_prediction_that_failed_is_a_failed_attempt(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    failed = {**WAITED, "status": "failed", "error": "CUDA out of memory"}
    server.route("POST", CREATE, Reply(201, body=failed))

    with pytest.raises(
        errors.ProviderUnavailableError, match="prediction failed: CUDA out of memory"
    ):
        await provider().chat(ctx, LLAMA, REQUEST)


async def test_a_prediction_that_never_finishes_times_out_and_is_cancelled(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("POST", CREATE, Reply.json_file(WAITED_FILE, 201))
    server.route("GET", f"{BASE}/predictions/{WAITED['id']}", Reply(body=WAITED))
    server.route("POST", f"{BASE}/predictions/{WAITED['id']}/cancel", Reply(body=WAITED))

    with pytest.raises(errors.ProviderTimeoutError, match="cancelled"):
        await provider().chat(context(server, http, timeout=0.3), LLAMA, REQUEST)

    assert server.hits("POST", f"{BASE}/predictions/*/cancel") == 1


async def test_the_token_refused_at_chat_is_an_authentication_error(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    problem = {"Content-Type": "application/problem+json"}
    server.route("POST", CREATE, Reply.json_file(UNAUTHENTICATED_FILE, 401, problem))

    with pytest.raises(errors.AuthenticationError) as caught:
        await provider().chat(ctx, LLAMA, REQUEST)

    assert caught.value.status == 401
    assert KEY not in str(caught.value)


async def test_a_rate_limit_says_when_to_come_back_in_its_own_words(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """The body is quoted from https://replicate.com/docs/topics/predictions/rate-limits
    (not recorded); no Retry-After header is assumed."""
    body = {"detail": "Request was throttled. Your rate limit resets in ~30s."}
    server.route("POST", CREATE, Reply(429, body=body))

    with pytest.raises(errors.RateLimitedError, match="Request was throttled") as caught:
        await provider().chat(ctx, LLAMA, REQUEST)

    assert caught.value.retry_after == 30.0


async def test_a_retry_after_header_wins_over_the_words(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    body = {"detail": "Request was throttled. Your rate limit resets in ~30s."}
    server.route("POST", CREATE, Reply(429, {"Retry-After": "7"}, body=body))

    with pytest.raises(errors.RateLimitedError) as caught:
        await provider().chat(ctx, LLAMA, REQUEST)

    assert caught.value.retry_after == 7.0


async def test_an_unknown_model_is_model_not_found(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    """Written in the shape of the recorded 401 (problem+json); not recorded itself."""
    body = {
        "title": "Not found",
        "detail": "The requested resource could not be found.",
        "status": 404,
    }
    server.route("POST", f"{BASE}/models/nobody/nothing/predictions", Reply(404, body=body))

    with pytest.raises(errors.ModelNotFoundError, match="could not be found"):
        await provider().chat(ctx, ModelInfo("replicate", "nobody/nothing"), REQUEST)


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply(201, body=b"<html>oops</html>"), "not JSON"),
        (Reply(201, body={"detail": "odd"}), "not a prediction"),
        (Reply(201, body=finished(WAITED, output={"url": "x"})), "output is not text"),
    ],
    ids=["html", "not-a-prediction", "output-not-text"],
)
async def test_garbage_instead_of_a_prediction_is_malformed(
    server: RecordingServer, ctx: ProviderContext, reply: Reply, why: str
) -> None:
    server.route("POST", CREATE, reply)

    with pytest.raises(errors.MalformedResponseError, match=why):
        await provider().chat(ctx, LLAMA, REQUEST)


async def test_chat_and_stream_need_the_token(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    keyless = context(server, http, key=None)

    with pytest.raises(errors.MissingAPIKeyError, match="REPLICATE_API_TOKEN"):
        await provider().chat(keyless, LLAMA, REQUEST)
    with pytest.raises(errors.MissingAPIKeyError):
        [c async for c in provider().stream(keyless, LLAMA, REQUEST)]

    assert server.requests == []


# -- streaming and inputs -------------------------------------------------------------------


async def test_streaming_hands_the_whole_answer_over_as_one_chunk(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    server.route("POST", CREATE, Reply(201, body=finished(WAITED)))

    chunks = [c async for c in provider().stream(ctx, LLAMA, REQUEST)]

    assert [(c.content, c.finish_reason) for c in chunks] == [("".join(WAITED["output"]), "stop")]


def test_messages_become_a_prompt_and_a_system_prompt() -> None:
    request = ChatRequest(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "A haiku?"},
        ],
        temperature=0.5,
        params={"top_p": 0.9, "input": {"max_new_tokens": 64}},
    )

    assert prediction_input(request) == {
        "prompt": "User: Hi\n\nAssistant: Hello!\n\nUser: A haiku?\n\nAssistant:",
        "system_prompt": "Be brief.",
        "temperature": 0.5,
        "top_p": 0.9,
        "max_new_tokens": 64,
    }


# -- end to end -----------------------------------------------------------------------------


async def test_neoclone_lists_replicate_models_but_none_as_free(
    server: RecordingServer, tmp_path: Path
) -> None:
    """SYNTHETIC collection (documented shape)."""
    server.route("GET", f"{BASE}/collections/language-models", Reply.json_file(COLLECTION_FILE))
    env = {"REPLICATE_API_TOKEN": KEY}

    async with neoclone_with(replicate, tmp_path, base_url=server.url + BASE, env=env) as neoclone:
        [scan] = await neoclone.discover()
        listed = neoclone.models(provider="replicate")
        free = neoclone.models(free_only=True, provider="replicate")

    assert (scan.provider, str(scan.status), scan.models) == ("replicate", "scanned", 6)
    assert len(listed) == 6
    assert "replicate/meta/meta-llama-3-8b-instruct" in {m.id for m in listed}
    assert free == []


async def test_neoclone_skips_replicate_without_a_token_in_one_line(tmp_path: Path) -> None:
    async with neoclone_with(replicate, tmp_path) as neoclone:
        [scan] = await neoclone.discover()

    assert (scan.provider, str(scan.status)) == ("replicate", "skipped")
    assert scan.message == "replicate: no API key (set REPLICATE_API_TOKEN)"
