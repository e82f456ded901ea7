"""Shared state in Redis: the `store` setting, instances that learn from each other, and
what happens when Redis is not there (a clear error at start, fail open at run time).

Each test runs against a real `redis-server` started on a free loopback port; the
tests are skipped only when the binary is missing (CI installs Debian's package).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import neoclone_store_redis
import pytest
from neoclone_gateway.testing import (
    GatewayProcess,
    Upstream,
    answer,
    failure,
    gateway_process,
    metric,
    model_id,
    open_neoclone,
    scrape,
    write_config,
)
from neoclone_store_redis import RedisState
from neoclone_store_redis.testing import RedisServer, running_redis_server

from neoclone_core import (
    Neoclone,
    ScanStatus,
    Settings,
    build_plugins,
    load_settings,
)
from neoclone_core.errors import ConfigError, NoModelAvailableError, StoreError
from neoclone_core.testing import RecordingServer

HELLO = [{"role": "user", "content": "hello"}]
_SYNC_BOUND_S = 30.0  # how long another instance may take to see a change: a bound, not a figure


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis_server()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The server's URL, its keys forgotten first."""
    with redis_server.client() as client:
        client.flushall()
    return redis_server.url


@pytest.fixture
def upstream(server: RecordingServer) -> Upstream:
    return Upstream(server)


def post(url: str, model: str, *fallbacks: str) -> httpx.Response:
    body = {"model": model, "messages": HELLO, "models": list(fallbacks)}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30)


# -- the setting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"not a url"', "must be a store URL"),
        ("6379", "must be a store URL"),
        ('"redis://:hunter2-secret@127.0.0.1:6379/0"', "must not hold a password"),
        ('"redis://127.0.0.1:6379/0?password=hunter2-secret"', "must not hold a password"),
    ],
)
def test_a_store_that_is_not_a_url_without_password_is_refused_naming_file_and_key(
    tmp_path: Path, value: str, problem: str
) -> None:
    config = tmp_path / "neoclone.toml"
    config.write_text(f"store = {value}\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    message = str(refused.value)
    assert str(config) in message and "store " in message and problem in message
    assert "hunter2" not in message


def test_a_store_no_installed_plugin_opens_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "neoclone.toml"
    config.write_text('store = "redis://127.0.0.1:1/0"\n')
    settings = load_settings(config, env={"NEOCLONE_HOME": str(tmp_path / "home")})
    with pytest.raises(ConfigError, match="no installed plugin opens redis:// stores"):
        Neoclone(settings, plugins=build_plugins(entry_points=False))


def test_a_store_that_does_not_answer_stops_neoclone_at_start(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    with RedisServer() as gone:
        url = gone.url
    settings = Settings(home=tmp_path / "home", store=url)
    plugins = build_plugins(entry_points=False, extra=[("store-redis", neoclone_store_redis)])
    with pytest.raises(StoreError, match="cannot reach the shared store"):
        Neoclone(settings, plugins=plugins)


# -- two instances in process -------------------------------------------------------------------


@pytest.mark.anyio
async def test_instances_sharing_redis_skip_a_model_another_one_saw_rate_limited(
    tmp_path: Path, upstream: Upstream, redis_url: str
) -> None:
    upstream.script("alpha", failure(429, "slow down", {"Retry-After": "60"}))
    first = open_neoclone(tmp_path / "one", upstream, store=redis_url, retries=True)
    second = open_neoclone(tmp_path / "two", upstream, store=redis_url, retries=True)
    async with first, second:
        assert isinstance(first.state, RedisState)
        await first.discover()
        await second.discover()
        with pytest.raises(NoModelAvailableError):
            await first.chat("hi", models=[model_id("alpha")])
        response, route = await second.chat("hi", models=[model_id("alpha"), model_id("beta")])
    assert response.model_id == model_id("beta")
    assert [a.outcome for a in route.attempts] == ["skipped", "ok"]
    assert upstream.calls("alpha") == 1


@pytest.mark.anyio
async def test_instances_sharing_redis_share_their_scans(
    tmp_path: Path, upstream: Upstream, redis_url: str
) -> None:
    first = open_neoclone(tmp_path / "one", upstream, store=redis_url, retries=True)
    second = open_neoclone(tmp_path / "two", upstream, store=redis_url, retries=True)
    async with first, second:
        (scanned,) = await first.discover()
        (shared,) = await second.discover()
        assert (scanned.status, shared.status) == (ScanStatus.SCANNED, ScanStatus.FRESH)
        assert [m.id for m in second.models()] == [m.id for m in first.models()]
        assert second.models()
    assert upstream.server.hits("GET", "/api/v1/models") == 1


# -- gateway processes --------------------------------------------------------------------------


@pytest.mark.slow
def test_two_gateways_sharing_redis_a_429_seen_by_one_makes_the_other_skip_the_model(
    tmp_path: Path, upstream: Upstream, redis_url: str
) -> None:
    # alpha refuses once, then would answer: if the second gateway called it, it would
    # be served by alpha, and the test would see it.
    upstream.script("alpha", failure(429, "slow down", {"Retry-After": "120"}), answer("late"))
    upstream.script("beta")
    with (
        gateway_process(tmp_path / "a", upstream, store=redis_url) as one,
        gateway_process(tmp_path / "b", upstream, store=redis_url) as two,
    ):
        assert post(two.url, model_id("gamma")).status_code == 200  # two has synced already
        refused = post(one.url, model_id("alpha"))
        assert refused.status_code == 429  # one's own 429: alpha waits out its rate limit
        _wait_for_cooldown(two.url, model_id("alpha"))  # within two's state_sync_s
        served = post(two.url, model_id("alpha"), model_id("beta"))
    assert served.status_code == 200
    assert served.json()["model"] == model_id("beta")
    assert served.headers["x-neoclone-route"].startswith(f"{model_id('alpha')} skipped")
    assert upstream.calls("alpha") == 1


def _wait_for_cooldown(url: str, key: str) -> None:
    deadline = time.monotonic() + _SYNC_BOUND_S
    while not metric(scrape(url), "neoclone_cooldown_remaining_seconds", key=key):
        assert time.monotonic() < deadline, f"{url} never saw the cooldown of {key}"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_gateway_whose_redis_does_not_answer_does_not_start(
    tmp_path: Path, upstream: Upstream, redis_server: RedisServer
) -> None:
    with RedisServer() as gone:
        url = gone.url
    result = GatewayProcess(write_config(tmp_path, upstream, store=url)).run()
    assert result.returncode == 1
    assert f"cannot reach the shared store at {url}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_gateway_whose_redis_goes_away_keeps_serving_on_local_state(
    tmp_path: Path, upstream: Upstream
) -> None:
    if not RedisServer.installed():
        pytest.skip("redis-server is not installed")
    upstream.script("delta", failure(429, "slow down", {"Retry-After": "120"}))
    with RedisServer() as own, gateway_process(tmp_path, upstream, store=own.url) as running:
        own.stop()
        first = post(running.url, model_id("delta"), model_id("epsilon"))
        second = post(running.url, model_id("delta"), model_id("epsilon"))
        health = httpx.get(f"{running.url}/health").json()
        metrics = scrape(running.url)
    assert first.status_code == second.status_code == 200
    assert second.headers["x-neoclone-route"].startswith(f"{model_id('delta')} skipped")
    assert health["status"] == "degraded"
    assert metric(metrics, "neoclone_state_store_up") == 0
    assert running.logs.count("neoclone.store_unavailable") == 1
    assert upstream.calls("delta") == 1


def _health_when(url: str, status: str) -> dict[str, object]:
    """/health's answer once it says `status` (asked every 0.1 s, for a bounded time)."""
    deadline = time.monotonic() + _SYNC_BOUND_S
    while (health := httpx.get(f"{url}/health", timeout=10).json())["status"] != status:
        assert time.monotonic() < deadline, f"/health still says {health}"
        time.sleep(0.1)
    return health


@pytest.mark.slow
def test_health_tells_of_a_redis_outage_and_its_end_with_no_request_in_between(
    tmp_path: Path, upstream: Upstream
) -> None:
    """Only /health is asked: before it pinged the store, an idle gateway reported Redis
    as it was at its last request, however long ago."""
    if not RedisServer.installed():
        pytest.skip("redis-server is not installed")
    with RedisServer() as own, gateway_process(tmp_path, upstream, store=own.url) as running:
        assert _health_when(running.url, "ok")["state_store"] == "ok"
        own.stop()
        down = _health_when(running.url, "degraded")
        own.restart()
        back = _health_when(running.url, "ok")
    assert down["state_store"] == "unavailable, using local state"
    assert back["state_store"] == "ok"
    assert running.logs.count("neoclone.store_unavailable") == 1
    assert running.logs.count("neoclone.store_recovered") == 1
