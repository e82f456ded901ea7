"""Reading what a response says is left of the quota: the header sets of the providers'
documentation pages (tests/fixtures/headers/ratelimit-headers.json names each page),
the recorded OpenRouter 429 body, and the reading carried by responses and errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from neoclone_core import ChatRequest, ModelInfo, ProviderContext, Secret
from neoclone_core.errors import RateLimitedError
from neoclone_core.models import Allowance, QuotaReading
from neoclone_core.openai.rate_limit_headers import read_quota
from neoclone_core.provider_kit import OpenAICompatibleProvider
from neoclone_core.testing import RecordingServer, Reply

FIXTURES = Path(__file__).parents[1] / "fixtures"
HEADERS = json.loads((FIXTURES / "headers" / "ratelimit-headers.json").read_text())
NOW = 1_743_030_000.0  # an hour before the reset in the quoted OpenRouter 429
COMPLETION = {
    "choices": [{"message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 3},
}


def documented(provider: str) -> Mapping[str, str]:
    headers: Mapping[str, str] = HEADERS[provider]["headers"]
    return headers


def test_groq_headers_give_requests_and_tokens_with_duration_resets() -> None:
    reading = read_quota(documented("groq"), None, NOW)

    assert reading == QuotaReading(
        requests=Allowance(14370, 14400, pytest.approx(NOW + 179.56)),
        tokens=Allowance(17997, 18000, pytest.approx(NOW + 7.66)),
    )


def test_cerebras_headers_name_their_window_and_reset_in_seconds() -> None:
    reading = read_quota(documented("cerebras"), None, NOW)

    assert reading is not None
    assert reading.requests == Allowance(999997455, 1000000000, pytest.approx(NOW + 33011.38))
    assert reading.tokens == Allowance(999998298, 1000000000, pytest.approx(NOW + 11.38))


def test_openrouter_headers_count_requests_and_reset_in_epoch_milliseconds() -> None:
    reading = read_quota(documented("openrouter"), None, NOW)

    assert reading == QuotaReading(requests=Allowance(0, 200, 1743033600.0))


def test_a_recorded_openrouter_429_says_it_in_its_body() -> None:
    body = json.loads((FIXTURES / "errors" / "openrouter-429-free-models-per-day.json").read_text())

    reading = read_quota({"content-type": "application/json"}, body, NOW)

    assert reading == QuotaReading(requests=Allowance(0, 50, 1777420800.0))


def test_the_tightest_of_several_windows_is_kept() -> None:
    headers = {
        "x-ratelimit-remaining-requests-day": "40",
        "x-ratelimit-remaining-requests-minute": "2",
        "x-ratelimit-reset-requests-minute": "30",
    }

    reading = read_quota(headers, None, NOW)

    assert reading is not None
    assert reading.requests == Allowance(2, None, NOW + 30)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": "application/json", "retry-after": "3"},
        {"x-ratelimit-remaining-requests": "plenty", "x-ratelimit-limit-requests": "10"},
    ],
)
def test_headers_that_state_nothing_readable_give_no_reading(headers: dict[str, str]) -> None:
    assert read_quota(headers, None, NOW) is None


# -- through a provider, over real HTTP -------------------------------------------------


class Acme(OpenAICompatibleProvider):
    name = "acme"
    default_base_url = "http://unused"
    api_key_env: str | None = "ACME_API_KEY"


class Silent(Acme):
    def quota_reading(
        self, headers: Mapping[str, str], body: object, now: float
    ) -> QuotaReading | None:
        return None


@pytest.fixture
async def context(server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
    return ProviderContext(
        "acme", server.url + "/v1", Secret("sk-test"), "ACME_API_KEY", 5.0, http, lambda: NOW
    )


MODEL = ModelInfo("acme", "m")
REQUEST = ChatRequest.from_prompt("hi")


@pytest.mark.anyio
async def test_a_completion_carries_what_its_headers_said(
    server: RecordingServer, context: ProviderContext
) -> None:
    server.route("POST", "/v1/chat/completions", Reply(body=COMPLETION, headers=documented("groq")))

    response = await Acme().chat(context, MODEL, REQUEST)

    assert response.quota is not None
    assert response.quota.requests == Allowance(14370, 14400, pytest.approx(NOW + 179.56))


@pytest.mark.anyio
async def test_a_429_carries_what_it_said_even_in_its_body(
    server: RecordingServer, context: ProviderContext
) -> None:
    body = (FIXTURES / "errors" / "openrouter-429-free-models-per-day.json").read_bytes()
    server.route("POST", "/v1/chat/completions", Reply(status=429, body=body))

    with pytest.raises(RateLimitedError) as raised:
        await Acme().chat(context, MODEL, REQUEST)

    assert raised.value.quota == QuotaReading(requests=Allowance(0, 50, 1777420800.0))


@pytest.mark.anyio
async def test_a_provider_may_read_its_headers_its_own_way(
    server: RecordingServer, context: ProviderContext
) -> None:
    server.route("POST", "/v1/chat/completions", Reply(body=COMPLETION, headers=documented("groq")))

    response = await Silent().chat(context, MODEL, REQUEST)

    assert response.quota is None
    assert response.content == "Hi"
