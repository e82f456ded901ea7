"""`RedisState` against a real redis-server: the engine's state kept, shared, bounded,
and the same statistics as the embedded store; an unreachable Redis refused at start
and survived at run time."""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest
import redis
from neoclone_store_redis import PASSWORD_ENV, RedisState, neoclone_open_state, public_url
from neoclone_store_redis.testing import RedisServer
from redis.backoff import NoBackoff
from redis.retry import Retry

from neoclone_core import (
    AttemptRecord,
    BreakerState,
    BreakerStatus,
    Cooldown,
    RequestRecord,
)
from neoclone_core.errors import StoreError
from neoclone_core.state.store import Store

T0 = 1_700_000_000.0


class Clock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def outcomes() -> tuple[list[AttemptRecord], list[RequestRecord]]:
    attempts = [
        AttemptRecord("p/a", T0 + 1, True, 0.5, "", 0.1, "s1"),
        AttemptRecord("p/a", T0 + 2, False, 1.5, "timeout", None, "s1"),
        AttemptRecord("p/a", T0 + 3, True, 0.25, "", 0.05, ""),
        AttemptRecord("p/b", T0 + 4, False, 0.1, "", None, "s2"),
        AttemptRecord("p/b", T0 + 5, False, 0.2, "rate_limited", None, "s1"),
    ]
    requests = [
        RequestRecord("s1", T0 + 2, True, "p/a", 1, 2.0, 0.1, ""),
        RequestRecord("s1", T0 + 6, False, "", 2, 3.0, None, "rate_limited"),
        RequestRecord("s2", T0 + 4, True, "p/c", 0, 0.4, None, ""),
        RequestRecord("", T0 + 3, True, "p/a", 0, 0.3, 0.05, ""),
    ]
    return attempts, requests


def test_breakers_are_stored_and_replaced(state: RedisState) -> None:
    opened = BreakerState("p/a", BreakerStatus.OPEN, T0 + 30, 1, T0, "5 failures in a row")
    state.save_breaker(opened)
    state.save_breaker(BreakerState("provider:p", BreakerStatus.OPEN, T0 + 60, 2, T0, "x"))
    closed = BreakerState("p/a", BreakerStatus.CLOSED, 0.0, 0, T0 + 40, "")
    state.save_breaker(closed)
    stored = state.breakers()
    assert stored["p/a"] == closed
    assert stored["provider:p"].opened == 2


def test_running_cooldowns_are_read_back_and_expired_ones_deleted(
    state: RedisState, redis_server: RedisServer
) -> None:
    state.set_cooldown(Cooldown("p/a", T0 + 60, "rate limited for 60s", T0, "abc"))
    state.set_cooldown(Cooldown("p/b", T0 + 5, "rate limited for 5s", T0))
    assert set(state.cooldowns(T0 + 1)) == {"p/a", "p/b"}
    assert state.cooldowns(T0 + 10) == {
        "p/a": Cooldown("p/a", T0 + 60, "rate limited for 60s", T0, "abc")
    }
    with redis_server.client() as client:
        assert client.hkeys(state.prefix + "cooldowns") == ["p/a"]


def test_an_expired_cooldown_replaced_meanwhile_by_another_instance_is_not_deleted(
    state: RedisState, redis_server: RedisServer
) -> None:
    state.set_cooldown(Cooldown("p/a", T0 + 5, "rate limited for 5s", T0))
    with redis_server.client() as client:
        read = client.hget(state.prefix + "cooldowns", "p/a")  # what cooldowns() saw expire
    other = RedisState.connect(redis_server.url, prefix=state.prefix)
    fresh = Cooldown("p/a", T0 + 120, "rate limited for 120s", T0 + 10)
    other.set_cooldown(fresh)  # a new 429, between the read and the delete
    other.close()
    state.forget_unchanged({"p/a": read})
    assert state.cooldowns(T0 + 11) == {"p/a": fresh}


def test_two_states_on_one_redis_see_each_others_writes(
    state: RedisState, redis_server: RedisServer
) -> None:
    other = RedisState.connect(redis_server.url, prefix=state.prefix)
    state.set_cooldown(Cooldown("p/a", T0 + 60, "rate limited", T0))
    assert "p/a" in other.cooldowns(T0)
    other.close()


def test_statistics_are_the_embedded_stores_for_the_same_outcomes(
    state: RedisState, tmp_path: Path
) -> None:
    attempts, requests = outcomes()
    state.record_outcomes(attempts[:2], requests[:1])
    state.record_outcomes(attempts[2:], requests[1:])
    with Store(tmp_path / "store.sqlite3") as sqlite:
        sqlite.record_outcomes(attempts, requests)
        assert state.model_stats() == sqlite.model_stats()
        assert state.session_stats() == sqlite.session_stats()


def test_each_model_and_session_keeps_only_its_newest_records(redis_server: RedisServer) -> None:
    bounded = RedisState.connect(
        redis_server.url, prefix="bounded:", max_attempts_per_model=2, max_requests_per_session=1
    )
    attempts = [AttemptRecord("p/a", T0 + i, True, float(i), "", None, "") for i in range(5)]
    requests = [RequestRecord("s", T0 + i, True, "p/a", 0, float(i), None, "") for i in range(3)]
    bounded.record_outcomes(attempts, requests)
    stats = bounded.model_stats()["p/a"]
    assert stats.successes == 2 and stats.last_attempt_at == T0 + 4
    assert bounded.session_stats()["s"].requests == 1
    bounded.close()


def test_values_that_are_not_ours_are_skipped_with_a_warning(
    state: RedisState, redis_server: RedisServer, captured: list[MutableMapping[str, Any]]
) -> None:
    state.save_breaker(BreakerState("p/a", BreakerStatus.OPEN, T0 + 30, 1, T0, "x"))
    with redis_server.client() as client:
        client.hset(state.prefix + "breakers", "p/b", "not json")
        client.hset(state.prefix + "breakers", "p/c", '["weird"]')
    assert list(state.breakers()) == ["p/a"]
    assert [e["key"] for e in captured if e["event"] == "neoclone.store_entry_skipped"] == [
        "p/b",
        "p/c",
    ]


def test_a_redis_that_does_not_answer_at_start_is_a_store_error_saying_where() -> None:
    from neoclone_core.testing.helpers import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(StoreError, match=r"cannot reach the shared store at redis://127\.0\.0\.1"):
        RedisState.connect(url)


def test_the_password_is_read_from_the_environment_never_from_the_url() -> None:
    if not RedisServer.installed():
        pytest.skip("redis-server is not installed")
    with RedisServer("--requirepass", "s3cret-for-tests") as server:
        with pytest.raises(StoreError) as refused:
            RedisState.connect(server.url, env={})
        assert "s3cret" not in str(refused.value)
        allowed = RedisState.connect(server.url, env={PASSWORD_ENV: "s3cret-for-tests"})
        allowed.set_cooldown(Cooldown("p/a", T0 + 60, "rate limited", T0))
        allowed.close()
    assert public_url("redis://user:pw@127.0.0.1:6379/2") == "redis://127.0.0.1:6379/2"


def test_an_outage_fails_fast_logs_once_and_writes_the_held_changes_when_redis_is_back(
    captured: list[MutableMapping[str, Any]],
) -> None:
    if not RedisServer.installed():
        pytest.skip("redis-server is not installed")
    clock = Clock()
    with RedisServer() as server:
        state = RedisState.connect(server.url, monotonic=clock, retry_s=5.0)
        server.stop()
        cooldown = Cooldown("p/a", T0 + 600, "rate limited for 600s", T0)
        with pytest.raises(StoreError, match="failed"):
            state.set_cooldown(cooldown)
        assert not state.available
        with pytest.raises(StoreError, match="unavailable; using local state"):
            state.breakers()  # within retry_s: not even tried
        breaker = BreakerState("p/b", BreakerStatus.OPEN, T0 + 30, 1, T0, "5 failures")
        with pytest.raises(StoreError):
            state.save_breaker(breaker)
        server.restart()
        clock.now += 5.0
        assert state.breakers() == {"p/b": breaker}
        assert state.cooldowns(T0) == {"p/a": cooldown}
        assert state.available
        state.close()
    events = [e["event"] for e in captured if e["event"].startswith("neoclone.store_")]
    assert events == ["neoclone.store_unavailable", "neoclone.store_recovered"]


def test_the_hook_opens_redis_urls_and_leaves_other_schemes_alone(
    redis_server: RedisServer,
) -> None:
    assert neoclone_open_state("postgres://127.0.0.1/db") is None
    opened = neoclone_open_state(redis_server.url)
    assert isinstance(opened, RedisState)
    opened.close()


def test_a_cooldown_write_is_one_hash_field(state: RedisState, redis_server: RedisServer) -> None:
    state.set_cooldown(Cooldown("p/a", T0 + 60, "rate limited", T0, "fp"))
    with redis_server.client() as client:
        assert client.type(state.prefix + "cooldowns") == "hash"
        assert (
            client.hget(state.prefix + "cooldowns", "p/a")
            == '[1700000060.0,"rate limited",1700000000.0,"fp"]'
        )


def test_redis_errors_never_escape_as_anything_but_store_error(state: RedisState) -> None:
    clock = Clock()
    client = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    broken = RedisState(client, "redis://127.0.0.1:1/0", monotonic=clock)
    for call in (broken.breakers, broken.model_stats, broken.session_stats):
        clock.now += 60  # past the quiet time: each call really tries
        with pytest.raises(StoreError):
            call()


def test_list_items_that_are_not_records_are_skipped_and_the_rest_counted(
    state: RedisState, redis_server: RedisServer, captured: list[MutableMapping[str, Any]]
) -> None:
    attempts, _ = outcomes()
    state.record_outcomes(attempts[:2], [])
    with redis_server.client() as client:
        client.rpush(state.prefix + "attempts:p/a", "{oops", "[1, 2]", "1,2")
    stats = state.model_stats()["p/a"]
    assert (stats.successes, stats.failures) == (1, 1)
    skipped = [e for e in captured if e["event"] == "neoclone.store_entry_skipped"]
    assert [e["key"] for e in skipped] == ["p/a"]


def test_an_item_that_is_two_json_values_is_skipped_not_a_crash(
    state: RedisState, redis_server: RedisServer
) -> None:
    attempts, _ = outcomes()
    state.record_outcomes(attempts[:2], [])
    with redis_server.client() as client:  # joined with the others it is still JSON
        client.rpush(state.prefix + "attempts:p/a", "1,2")
    stats = state.model_stats()["p/a"]
    assert (stats.successes, stats.failures) == (1, 1)


def test_a_disabled_store_plugin_is_named_by_its_declared_scheme(tmp_path: Path) -> None:
    from neoclone_core import Neoclone, build_plugins, load_settings
    from neoclone_core.errors import ConfigError

    config = tmp_path / "neoclone.toml"
    config.write_text('store = "rediss://127.0.0.1:1/0"\n')
    settings = load_settings(config, env={"NEOCLONE_HOME": str(tmp_path / "home")})

    with pytest.raises(ConfigError, match="neoclone-store-redis declares it but did not open it"):
        Neoclone(settings, plugins=build_plugins(disabled=["store-redis"]))


def test_changes_held_back_by_an_outage_never_replace_later_ones_of_another_instance() -> None:
    """One instance opens a breaker and starts a cooldown while Redis is down; another,
    once Redis is back, stores a later state of both. The first writes what it held back
    when its quiet time is over: the later states must stay, its own later one too."""
    if not RedisServer.installed():
        pytest.skip("redis-server is not installed")
    clock = Clock()
    with RedisServer() as server:
        held = RedisState.connect(server.url, monotonic=clock, retry_s=5.0)
        server.stop()
        opened = BreakerState("p/a", BreakerStatus.OPEN, T0 + 30, 1, T0, "5 failures")
        reopened = BreakerState("p/b", BreakerStatus.OPEN, T0 + 90, 2, T0 + 60, "probe failed")
        short = Cooldown("p/a", T0 + 60, "rate limited for 60s", T0)
        for write in (
            lambda: held.save_breaker(opened),
            lambda: held.save_breaker(reopened),
            lambda: held.set_cooldown(short),
        ):
            with pytest.raises(StoreError):
                write()
        server.restart()
        other = RedisState.connect(server.url)
        closed = BreakerState("p/a", BreakerStatus.CLOSED, 0.0, 0, T0 + 40, "")
        long = Cooldown("p/a", T0 + 600, "rate limited for 600s", T0 + 20)
        earlier = BreakerState("p/b", BreakerStatus.CLOSED, 0.0, 0, T0 + 10, "")
        other.save_breaker(closed)
        other.save_breaker(earlier)
        other.set_cooldown(long)
        clock.now += 5.0
        assert held.breakers() == {"p/a": closed, "p/b": reopened}
        assert held.cooldowns(T0) == {"p/a": long}
        assert other.breakers() == held.breakers()
        held.close()
        other.close()


def test_a_cooldown_never_shortens_a_later_one_and_a_breaker_never_goes_back_in_time(
    state: RedisState,
) -> None:
    long = Cooldown("p/a", T0 + 600, "rate limited for 600s", T0)
    state.set_cooldown(long)
    state.set_cooldown(Cooldown("p/a", T0 + 30, "rate limited for 20s", T0 + 10))
    closed = BreakerState("p/a", BreakerStatus.CLOSED, 0.0, 0, T0 + 40, "")
    state.save_breaker(closed)
    state.save_breaker(BreakerState("p/a", BreakerStatus.OPEN, T0 + 30, 1, T0, "stale"))
    assert state.cooldowns(T0) == {"p/a": long}
    assert state.breakers() == {"p/a": closed}


def test_a_ping_reports_an_outage_and_its_end_without_waiting_for_the_quiet_time(
    captured: list[MutableMapping[str, Any]],
) -> None:
    if not RedisServer.installed():
        pytest.skip("redis-server is not installed")
    clock = Clock()
    with RedisServer() as server:
        state = RedisState.connect(server.url, monotonic=clock, retry_s=60.0)
        assert state.ping()
        assert state.available
        server.stop()
        assert not state.ping()
        assert not state.available
        server.restart()
        assert state.ping()  # within the 60 s quiet time, which only requests keep
        assert state.available
        state.close()
    events = [e["event"] for e in captured if e["event"].startswith("neoclone.store_")]
    assert events == ["neoclone.store_unavailable", "neoclone.store_recovered"]
