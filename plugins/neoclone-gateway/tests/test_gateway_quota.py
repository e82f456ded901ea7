"""Free-tier quota through the gateway: real `neoclone serve` processes in front of an
upstream that enforces OpenRouter's free limit (20 requests a minute, the catalog's
figure for a free model) and answers 429 after it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from neoclone_gateway.testing import Upstream, answer, failure, gateway_process, model_id
from neoclone_store_redis.testing import RedisServer, running_redis_server

from neoclone_core.testing import RecordingServer

HELLO = [{"role": "user", "content": "hello"}]
FREE_PER_MINUTE = 20  # OpenRouter's free models, as its plugin puts them in the catalog


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
