"""The usage ledger on Redis: the embedded store's answers for the same spends, one
budget shared by processes, expiring keys, and outages survived without losing spends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from neoclone_store_redis import RedisState
from neoclone_store_redis.testing import RedisServer

from neoclone_core.errors import StoreError
from neoclone_core.quota import Allowance, QuotaReading
from neoclone_core.state.store import Store
from neoclone_core.state.usage import (
    Claim,
    Period,
    Reservation,
    Shortfall,
    UsageLedger,
    Window,
)

NOW = 1_765_000_000.0  # 2025-12-06 05:46:40 UTC, as in the embedded store's tests
MINUTE = Window("groq/llama", "k1", Period.MINUTE)
DAY = Window("groq/llama", "k1", Period.DAY_UTC)
ACCOUNT = Window("provider:openrouter", "k1", Period.DAY_UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "neoclone.sqlite3") as store:
        yield store


def spend(ledger: UsageLedger, claims: list[Claim], times: int, at: float, tokens: int = 10) -> int:
    """How many of `times` reservations were granted."""
    return sum(isinstance(ledger.reserve(claims, tokens, at), Reservation) for _ in range(times))


def script(ledger: UsageLedger) -> list[object]:
    """A day of spending, statements and settling; every answer the ledger gave."""
    answers: list[object] = []
    minute = [Claim(MINUTE, request_limit=3, token_limit=100), Claim(DAY, request_limit=5)]
    for at in (NOW, NOW + 1, NOW + 2, NOW + 3, NOW + 30, NOW + 66, NOW + 67):
        answers.append(ledger.reserve(minute, 20, at))
    first = answers[0]
    assert isinstance(first, Reservation)
    ledger.settle(first, 5)
    answers.append(ledger.reserve(minute, 20, NOW + 68))
    ledger.observe("groq/llama", "k1", QuotaReading(requests=Allowance(1, 5, NOW + 500)), NOW + 69)
    answers += [ledger.reserve([Claim(DAY)], 1, NOW + 70) for _ in range(2)]
    answers.append(ledger.reserve([Claim(ACCOUNT, token_limit=50)], 60, NOW + 71))
    view = ledger.usage(NOW + 72)
    answers.append(dict(view.counts))
    answers.append(list(view.stated))
    answers.append(ledger.usage(NOW + 86_400).counts.get(MINUTE))
    # which running totals a store keeps is its own affair: the windows spent in are not
    return [(a.buckets, a.tokens, a.at) if isinstance(a, Reservation) else a for a in answers]


def test_a_redis_state_is_a_usage_ledger(state: RedisState) -> None:
    assert isinstance(state, UsageLedger)


def test_redis_answers_as_the_embedded_store_for_the_same_spends(
    state: RedisState, embedded: Store
) -> None:
    expected = script(embedded)

    assert script(state) == expected
    assert sum(isinstance(a, Shortfall) for a in expected) >= 4  # refusals were compared too


def test_a_window_grants_its_limit_and_a_refusal_counts_nowhere(state: RedisState) -> None:
    claims = [Claim(DAY, request_limit=1000), Claim(MINUTE, request_limit=2)]

    granted = spend(state, claims, 5, NOW)
    refused = state.reserve(claims, 10, NOW)

    assert granted == 2
    assert isinstance(refused, Shortfall)
    assert (refused.window, refused.left, refused.limit) == (MINUTE, 0, 2)
    assert NOW + 60 <= refused.resets_at <= NOW + 65
    assert state.usage(NOW).counts[DAY].requests == 2
    assert spend(state, claims, 1, NOW + 66) == 1


def test_a_provider_statement_wins_until_its_reset_for_every_instance(
    state: RedisState, redis_server: RedisServer
) -> None:
    other = RedisState.connect(redis_server.url, prefix=state.prefix)
    reading = QuotaReading(requests=Allowance(remaining=3, limit=1000, reset_at=NOW + 100))
    state.observe("groq/llama", "k1", reading, NOW)
    claims = [Claim(DAY, request_limit=1000)]

    granted = spend(state, claims, 2, NOW + 1) + spend(other, claims, 2, NOW + 1)
    refused = other.reserve(claims, 1, NOW + 1)

    assert granted == 3
    assert isinstance(refused, Shortfall)
    assert refused.stated and refused.resets_at == NOW + 100
    assert spend(other, claims, 1, NOW + 100) == 1
    other.close()


def test_windows_expire_when_they_stop_counting_and_old_buckets_are_deleted(
    state: RedisState, redis_server: RedisServer
) -> None:
    spend(state, [Claim(MINUTE, request_limit=5)], 1, NOW)
    spend(state, [Claim(MINUTE, request_limit=5)], 1, NOW + 200)
    name = f"{state.prefix}usage:{MINUTE.key}"

    with redis_server.client() as client:
        ttl_s = client.pttl(name) / 1000
        fields = sorted(client.hkeys(name))

    assert 60 <= ttl_s <= 60 + 5 + 60  # the minute, a bucket, the margin
    assert fields == [
        "limits",
        f"r:{Period.MINUTE.bucket(NOW + 200)!r}",
        f"t:{Period.MINUTE.bucket(NOW + 200)!r}",
    ]


def test_the_ledger_in_redis_names_keys_by_fingerprint_only(
    state: RedisState, redis_server: RedisServer
) -> None:
    window = Window("groq/llama", "3f2a9c1b7d4e", Period.DAY_UTC)
    spend(state, [Claim(window, request_limit=5)], 1, NOW)
    state.observe("groq/llama", "3f2a9c1b7d4e", QuotaReading(requests=Allowance(4)), NOW)

    with redis_server.client() as client:
        keys = sorted(client.keys(f"{state.prefix}*"))
        stated = client.hkeys(f"{state.prefix}usage-stated")

    assert keys == [
        f"{state.prefix}usage-stated",
        f"{state.prefix}usage-total:groq/llama|3f2a9c1b7d4e",
        f"{state.prefix}usage-windows",
        f"{state.prefix}usage:groq/llama|3f2a9c1b7d4e|day-utc",
    ]
    assert stated == ["groq/llama|3f2a9c1b7d4e|requests"]


def test_values_that_are_not_ours_count_as_nothing(
    state: RedisState, redis_server: RedisServer
) -> None:
    spend(state, [Claim(DAY, request_limit=5)], 2, NOW)
    with redis_server.client() as client:
        name = f"{state.prefix}usage:{DAY.key}"
        client.hset(name, mapping={f"r:{Period.DAY_UTC.bucket(NOW)!r}": "garbage", "x": "y"})
        client.hset(name, "limits", "[1, 2")
        client.hset(f"{state.prefix}usage-stated", "groq/llama|k1|requests", "{not json")

    assert state.usage(NOW).counts[DAY].requests == 0
    assert spend(state, [Claim(DAY, request_limit=5)], 1, NOW) == 1


SPENDER = """
import sys
from neoclone_store_redis import RedisState
from neoclone_core.state.usage import Claim, Period, Reservation, Window
url, prefix, tries, now = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
claims = [Claim(Window("groq/llama", "k1", Period.DAY_UTC), request_limit=50),
          Claim(Window("groq/llama", "k1", Period.MINUTE), token_limit=10_000)]
state = RedisState.connect(url, prefix=prefix)
sys.stdin.readline()  # start together
print(sum(isinstance(state.reserve(claims, 7, now), Reservation) for _ in range(tries)))
"""


def test_two_processes_spending_one_budget_never_exceed_its_limit(
    state: RedisState, redis_server: RedisServer
) -> None:
    spenders = [
        subprocess.Popen(
            [sys.executable, "-c", SPENDER, redis_server.url, state.prefix, "60", str(NOW)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for spender in spenders:
        assert spender.stdin is not None
        spender.stdin.write("go\n")
        spender.stdin.flush()
    granted = [int(spender.communicate(timeout=60)[0]) for spender in spenders]

    assert sum(granted) == 50
    counts = state.usage(NOW).counts
    assert counts[DAY].requests == 50
    assert counts[Window("groq/llama", "k1", Period.MINUTE)].tokens == 350


def test_an_outage_fails_fast_and_the_spends_it_held_are_written_when_redis_is_back() -> None:
    if not RedisServer.installed():
        pytest.skip("redis-server is not installed")
    clock = Clock()
    claims = [Claim(DAY, request_limit=5)]
    with RedisServer() as server:
        state = RedisState.connect(server.url, monotonic=clock, retry_s=5.0)
        assert spend(state, claims, 1, NOW) == 1
        server.stop()
        with pytest.raises(StoreError, match="failed"):
            state.reserve(claims, 10, NOW + 1)
        with pytest.raises(StoreError, match="unavailable"):
            state.observe("groq/llama", "k1", QuotaReading(requests=Allowance(2)), NOW + 2)
        server.restart()  # empty: what this instance spent before the outage is gone
        clock.now += 5.0

        view = state.usage(NOW + 3)

        assert view.counts[DAY].requests == 1  # the request sent during the outage
        assert [(s.unit, s.left) for s in view.stated] == [("requests", 2)]
        assert spend(state, claims, 6, NOW + 3) == 2  # as the provider said
        state.close()
