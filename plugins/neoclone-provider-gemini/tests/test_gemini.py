"""The Gemini provider against its recorded model list and error bodies, on 127.0.0.1.

The expected numbers are computed here from the raw recording with the rules written
out plainly, not by calling the code under test. The recording is one page (9 models,
no `nextPageToken`); paging is tested by serving two pages built by splitting it. No
recorded Gemini chat completion exists in the shared recordings: the chat and stream
bodies below follow OpenAI's shape as Gemini's OpenAI-compatible endpoint returns it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import attrs
import httpx
import neoclone_provider_gemini as gemini
import pytest
from neoclone_provider_gemini import GeminiProvider

from neoclone_core import Capability, ModelInfo, Pricing, ProviderContext, RateLimit, ScanStatus
from neoclone_core.errors import AuthenticationError, MalformedResponseError, RateLimitedError
from neoclone_core.models import Allowance, QuotaReading
from neoclone_core.testing import RecordedRequest, RecordingServer, Reply, neoclone_with
from neoclone_core.testing.contract import REQUEST, OpenAICompatProviderContract
from neoclone_core.testing.helpers import ProviderUnderTest

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
MODELS_FILE = FIXTURES / "gemini-models-2025-12.json"
RESOURCE_EXHAUSTED = FIXTURES / "gemini-429-resource-exhausted.json"
INVALID_KEY = FIXTURES / "gemini-400-invalid-key.json"
RAW: list[dict[str, Any]] = json.loads(MODELS_FILE.read_bytes())["models"]
MODELS = "/v1beta/models"
CHAT = "/v1beta/openai/chat/completions"
KEY = "AIza" + "Sy0123456789abcdefghijklmnopqrstu"
GEMINI = ProviderUnderTest(GeminiProvider, "", MODELS_FILE, MODELS, key=KEY)
MODEL = ModelInfo("gemini", "gemini-2.5-flash", free=True)


@pytest.fixture
def ctx(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return GEMINI.served(server, http)


def short_name(entry: dict[str, Any]) -> str:
    return str(entry["name"]).split("/", 1)[1]


def can_chat(entry: dict[str, Any]) -> bool:
    return "generateContent" in entry["supportedGenerationMethods"]


def is_free(entry: dict[str, Any]) -> bool:
    """The free tier covers Flash, Flash-Lite and Gemma; 2.5 Pro left it in Dec 2025."""
    return "flash" in entry["name"] or "gemma" in entry["name"]


def assert_key_only_in_its_header(sent: RecordedRequest) -> None:
    assert sent.headers["x-goog-api-key"] == KEY
    assert "authorization" not in sent.headers
    assert KEY not in sent.path + sent.query
    assert "key=" not in sent.query


# -- discovery ------------------------------------------------------------------------------


async def test_the_recording_yields_the_numbers_the_free_rules_give(ctx: ProviderContext) -> None:
    chat_names = {short_name(e) for e in RAW if can_chat(e)}
    free_names = {short_name(e) for e in RAW if can_chat(e) and is_free(e)}

    models = await GEMINI.discovered(ctx)

    assert len(RAW) == 9
    assert set(models) == chat_names
    assert len(models) == 7
    assert {n for n, m in models.items() if m.free} == free_names
    assert len(free_names) == 6
    assert not models["gemini-2.5-pro"].free
    assert models["gemini-2.5-pro"].rate_limit == RateLimit()
    assert "embedding-001" not in models and "text-embedding-004" not in models
    assert all(m.pricing == Pricing() for m in models.values())  # the list has no prices


async def test_known_models_are_read_exactly(ctx: ProviderContext) -> None:
    models = await GEMINI.discovered(ctx)

    flash = models["gemini-2.5-flash"]
    assert flash.id == "gemini/gemini-2.5-flash"
    assert flash.display_name == "Gemini 2.5 Flash"
    assert flash.context_length == 1_048_576
    assert flash.capabilities == {
        Capability.TEXT,
        Capability.STREAMING,
        Capability.VISION,
        Capability.TOOLS,
        Capability.REASONING,  # "thinking": true
    }
    assert flash.rate_limit == RateLimit(  # the limits of 2026-07-18: far below 2025's
        requests_per_minute=5, requests_per_day=20, tokens_per_minute=250_000
    )

    assert Capability.REASONING not in models["gemini-2.0-flash"].capabilities
    assert models["gemini-2.5-flash-lite"].rate_limit.requests_per_minute == 10  # not Flash's
    assert models["gemini-2.0-flash-001"].rate_limit == RateLimit()  # no longer listed


async def test_the_listing_sends_the_key_only_in_x_goog_api_key(
    server: RecordingServer, ctx: ProviderContext
) -> None:
    await GeminiProvider().discover(ctx)

    [sent] = server.requests
    assert_key_only_in_its_header(sent)
    assert sent.query == "pageSize=1000"


def two_pages(request: RecordedRequest) -> Reply:
    """The recording split in two pages, linked the way the API links them."""
    if "pageToken=next-page" in request.query:
        return Reply(body={"models": RAW[4:]})
    return Reply(body={"models": RAW[:4], "nextPageToken": "next-page"})


async def test_discovery_follows_next_page_tokens(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    """Paging, tested on two pages built by splitting the one-page recording."""
    server.route("GET", MODELS, two_pages)

    paged = await GeminiProvider().discover(GEMINI.context(server, http))

    assert [m.name for m in paged] == [short_name(e) for e in RAW if can_chat(e)]
    first, second = server.requests
    assert first.query == "pageSize=1000"
    assert second.query == "pageSize=1000&pageToken=next-page"
    assert_key_only_in_its_header(second)


async def test_a_page_token_that_comes_back_twice_stops_the_listing(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route("GET", MODELS, Reply(body={"models": RAW[:1], "nextPageToken": "again"}))

    with pytest.raises(MalformedResponseError, match="came back twice"):
        await GeminiProvider().discover(GEMINI.context(server, http))

    assert server.hits("GET", MODELS) == 2


async def test_an_empty_last_page_may_be_an_empty_object(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    server.route(
        "GET",
        MODELS,
        lambda r: Reply(body={} if "pageToken" in r.query else {"nextPageToken": "last"}),
    )

    assert await GeminiProvider().discover(GEMINI.context(server, http)) == []


def entry(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": f"models/{name}",
        "displayName": name.title(),
        "inputTokenLimit": 32_768,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
        **fields,
    }


async def test_odd_entries_are_skipped_and_non_text_models_left_out(
    server: RecordingServer, http: httpx.AsyncClient, captured: list[MutableMapping[str, Any]]
) -> None:
    document = {
        "models": [
            entry("gemma-3-27b-it"),
            entry("gemini-2.5-flash-preview-tts"),
            entry("gemini-2.5-flash-image"),
            entry("aqa", supportedGenerationMethods=["generateAnswer"]),
            entry("gemini-3-flash-preview", inputTokenLimit="lots"),
            entry("gemini-2.5-flash-lite-preview-09-2025"),
        ]
    }
    models = await GEMINI.listed(server, http, document)

    by_name = {m.name: m for m in models}
    assert list(by_name) == [
        "gemma-3-27b-it",
        "gemini-3-flash-preview",
        "gemini-2.5-flash-lite-preview-09-2025",
    ]
    gemma = by_name["gemma-3-27b-it"]
    assert gemma.free
    assert gemma.capabilities == {Capability.TEXT, Capability.STREAMING}
    assert gemma.rate_limit.requests_per_day == 14_400
    new_flash = by_name["gemini-3-flash-preview"]
    assert (new_flash.free, new_flash.rate_limit, new_flash.context_length) == (
        True,
        RateLimit(requests_per_minute=5, requests_per_day=20, tokens_per_minute=250_000),
        None,
    )
    assert by_name["gemini-2.5-flash-lite-preview-09-2025"].rate_limit.requests_per_minute == 10
    assert [e for e in captured if e["log_level"] == "warning"] == []  # all on purpose


# -- chat and streaming ---------------------------------------------------------------------


def chunk(content: str, finish_reason: str | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"delta": {"content": content, "role": "assistant"}, "index": 0}
    if finish_reason:
        choice["finish_reason"] = finish_reason
    return {"choices": [choice], "model": "gemini-2.5-flash", "object": "chat.completion.chunk"}


def resource_exhausted_in_a_list() -> bytes:
    """The recorded 429 wrapped in a list, as the OpenAI-compatible endpoint sends its
    errors (the recording itself has the native endpoints' shape)."""
    return json.dumps([json.loads(RESOURCE_EXHAUSTED.read_bytes())]).encode()


async def test_a_key_echoed_in_an_error_never_reaches_the_message(
    server: RecordingServer, http: httpx.AsyncClient
) -> None:
    odd_key = "proxy-issued-credential-42"  # not shaped like any vendor's key
    echo = {"error": {"code": 400, "message": f"API key not valid: {odd_key}"}}
    server.route("POST", CHAT, Reply(status=400, body=echo))

    with pytest.raises(AuthenticationError) as caught:
        await GeminiProvider().chat(GEMINI.context(server, http, key=odd_key), MODEL, REQUEST)

    assert odd_key not in str(caught.value)
    assert "[REDACTED]" in str(caught.value)


# -- end to end -----------------------------------------------------------------------------


async def test_neoclone_reads_google_api_key_when_configured_to(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", MODELS, Reply.json_file(MODELS_FILE))
    env = {"GOOGLE_API_KEY": KEY}

    running = neoclone_with(
        gemini, tmp_path, base_url=server.url, env=env, api_key_env="GOOGLE_API_KEY"
    )
    async with running:
        [scan] = await running.discover()

    assert scan.status == ScanStatus.SCANNED
    assert_key_only_in_its_header(server.requests[-1])


class TestGeminiContract(OpenAICompatProviderContract):
    """What every OpenAI-compatible provider does (neoclone_core.testing.contract): the
    key in `x-goog-api-key`; a paged list under `models`; chat and stream bodies in
    OpenAI's shape as Gemini's compatible endpoint answers (none recorded); the
    recorded 429 and invalid-key 400."""

    plugin = gemini
    provider_class = GeminiProvider
    model_name = "gemini-2.0-flash"
    key = KEY
    listing = Reply.json_file(MODELS_FILE)
    listing_key = "models"
    id_key = "name"
    rate_limited = Reply.json_file(RESOURCE_EXHAUSTED, 429)
    rate_limited_wait = 20.0  # RetryInfo.retryDelay "20s"; no header is sent
    rate_limited_says = "exceeded your current quota"
    rate_limited_also = (
        (Reply(429, {"Content-Type": "application/json"}, resource_exhausted_in_a_list()), 20.0),
    )
    refused = Reply.json_file(INVALID_KEY, 400)
    refused_says = "API key not valid"

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        return entry(model_name)

    def not_a_listing(self) -> tuple[list[object], str]:
        """A page may leave its models out (`{}`), but not hold anything else."""
        return [[], {"models": {"name": "x"}}, {"models": "none"}, 42], "malformed response"

    def chunk(self, content: str, finish_reason: str | None = None) -> dict[str, Any]:
        return chunk(content, finish_reason)


# -- what a 429 says of the quota -----------------------------------------------------------

SUMMER_NOON_UTC = datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.timezone.utc).timestamp()
NEXT_PACIFIC_MIDNIGHT = datetime.datetime(  # 2026-07-02 00:00 in Los Angeles (PDT, UTC-7)
    2026, 7, 2, 7, tzinfo=datetime.timezone.utc
).timestamp()


@pytest.mark.parametrize(
    "reply",
    [
        Reply.json_file(RESOURCE_EXHAUSTED, 429),
        Reply(429, {"Content-Type": "application/json"}, resource_exhausted_in_a_list()),
    ],
    ids=["native", "in-a-list"],
)
async def test_a_429_naming_a_daily_quota_says_nothing_is_left_until_midnight_pacific(
    server: RecordingServer, http: httpx.AsyncClient, reply: Reply
) -> None:
    """The recorded 429 breaks the per-day and per-minute request quotas and the input
    tokens per minute: requests are out until the day's reset, tokens until RetryInfo's
    20 s have passed, so the engine does not come back every 20 s all day."""
    server.route("POST", CHAT, reply)
    ctx = attrs.evolve(GEMINI, now=SUMMER_NOON_UTC).context(server, http)

    with pytest.raises(RateLimitedError) as caught:
        await GeminiProvider().chat(ctx, MODEL, REQUEST)

    assert caught.value.quota == QuotaReading(
        requests=Allowance(0, None, NEXT_PACIFIC_MIDNIGHT),
        tokens=Allowance(0, None, SUMMER_NOON_UTC + 20),
    )


def test_a_429_naming_only_a_minute_quota_is_out_for_its_retry_delay() -> None:
    body = json.loads(RESOURCE_EXHAUSTED.read_bytes())
    violations = body["error"]["details"][0]["violations"]
    body["error"]["details"][0]["violations"] = [
        v for v in violations if "PerMinute" in v["quotaId"] and "Requests" in v["quotaId"]
    ]

    reading = gemini.quota_from_error(body, SUMMER_NOON_UTC)

    assert reading == QuotaReading(requests=Allowance(0, None, SUMMER_NOON_UTC + 20))


def test_a_body_without_quota_details_says_nothing() -> None:
    assert gemini.quota_from_error(json.loads(INVALID_KEY.read_bytes()), 0.0) is None
    assert gemini.quota_from_error({"choices": []}, 0.0) is None
