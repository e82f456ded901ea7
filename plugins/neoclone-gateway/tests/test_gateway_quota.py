"""Free-tier quota through the gateway: real `neoclone serve` processes in front of an
upstream that enforces OpenRouter's free limit (20 requests a minute, the catalog's
figure for a free model) and answers 429 after it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
from neoclone_gateway.testing import (
    PLANTED_KEY,
    GatewayProcess,
    Upstream,
    answer,
    failure,
    gateway_process,
    metric,
    model_id,
    scrape,
)
from neoclone_store_redis.testing import RedisServer, running_redis_server

from neoclone_core.testing import RecordingServer

HELLO = [{"role": "user", "content": "hello"}]
FREE_PER_MINUTE = 20  # OpenRouter's free models together, as its plugin declares them


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis_server()


@pytest.fixture
def upstream(server: RecordingServer) -> Upstream:
    return Upstream(server)


def enforce_free_limit(upstream: Upstream, name: str) -> None:
    """Model `name` answers `FREE_PER_MINUTE` requests, then 429s."""
    over = failure(429, "Rate limit exceeded: free-models-per-min", {"Retry-After": "60"})
    upstream.script(name, *[answer("ok")] * FREE_PER_MINUTE, over)


def post(url: str, model: str) -> httpx.Response:
    body = {"model": model, "messages": HELLO}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)


@pytest.mark.slow
def test_two_gateways_sharing_redis_spend_one_budget_and_never_exceed_it(
    tmp_path: Path, upstream: Upstream, redis_server: RedisServer
) -> None:
    with redis_server.client() as client:
        client.flushall()
    enforce_free_limit(upstream, "alpha")
    with (
        gateway_process(tmp_path / "a", upstream, store=redis_server.url) as one,
        gateway_process(tmp_path / "b", upstream, store=redis_server.url) as two,
        ThreadPoolExecutor(8) as pool,
    ):
        urls = [one.url, two.url] * FREE_PER_MINUTE  # 40 requests, 20 through each
        statuses = Counter(
            r.status_code for r in pool.map(lambda url: post(url, model_id("alpha")), urls)
        )

    assert upstream.calls("alpha") == FREE_PER_MINUTE  # all of the budget, never more
    assert statuses[200] == FREE_PER_MINUTE
    assert sum(statuses.values()) - statuses[200] == FREE_PER_MINUTE  # refused by the gateways


@pytest.fixture
def gateway(tmp_path: Path, upstream: Upstream) -> Iterator[GatewayProcess]:
    with gateway_process(tmp_path, upstream) as running:
        yield running


def client(gateway: GatewayProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="unused", max_retries=0)


def test_a_response_says_what_is_left_of_the_pool_of_its_plan(
    gateway: GatewayProcess, upstream: Upstream
) -> None:
    with client(gateway) as openai_client:
        for _ in range(3):
            raw = openai_client.chat.completions.with_raw_response.create(
                model=model_id("alpha"), messages=HELLO, extra_body={"models": [model_id("beta")]}
            )

    headers = raw.headers
    # alpha and beta share OpenRouter's account-wide free limit: counted once
    assert headers["x-ratelimit-limit-requests"] == str(FREE_PER_MINUTE)
    assert headers["x-ratelimit-remaining-requests"] == str(FREE_PER_MINUTE - 3)
    assert 59 <= int(headers["x-ratelimit-reset-requests"].removesuffix("s")) <= 66
    assert "x-ratelimit-limit-tokens" not in headers  # OpenRouter states no token limit
    assert upstream.calls("alpha") == 3


def test_when_every_model_is_out_the_gateway_answers_429_with_retry_after(
    gateway: GatewayProcess, upstream: Upstream
) -> None:
    enforce_free_limit(upstream, "alpha")
    with client(gateway) as openai_client:
        for _ in range(FREE_PER_MINUTE):
            openai_client.chat.completions.create(model=model_id("alpha"), messages=HELLO)
        with pytest.raises(openai.RateLimitError) as refused:
            openai_client.chat.completions.create(model=model_id("alpha"), messages=HELLO)

    headers = refused.value.response.headers
    assert 1 <= int(headers["retry-after"]) <= 66  # the sliding minute's first bucket
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert "requests left a minute" in str(refused.value)
    assert upstream.calls("alpha") == FREE_PER_MINUTE  # the 21st never left the gateway


def test_prometheus_gauges_say_what_is_left_per_model_and_window(
    gateway: GatewayProcess, upstream: Upstream
) -> None:
    with client(gateway) as openai_client:
        for _ in range(4):
            openai_client.chat.completions.create(model=model_id("gamma"), messages=HELLO)

    text = scrape(gateway.url)
    labels = {"provider": "openrouter", "model": "", "unit": "requests"}  # the account
    assert metric(text, "neoclone_quota_left", window="minute", **labels) == FREE_PER_MINUTE - 4
    assert metric(text, "neoclone_quota_left", window="day-utc", **labels) == 50 - 4
    assert PLANTED_KEY not in text


def test_a_stream_says_what_is_left_before_its_first_chunk(
    gateway: GatewayProcess, upstream: Upstream
) -> None:
    with client(gateway) as openai_client:
        raw = openai_client.chat.completions.with_raw_response.create(
            model=model_id("delta"), messages=HELLO, stream=True
        )
        text = "".join(
            chunk.choices[0].delta.content or "" for chunk in raw.parse() if chunk.choices
        )

    assert text == "answer from delta"
    assert raw.headers["x-ratelimit-limit-requests"] == str(FREE_PER_MINUTE)
    assert raw.headers["x-ratelimit-remaining-requests"] == str(FREE_PER_MINUTE - 1)
