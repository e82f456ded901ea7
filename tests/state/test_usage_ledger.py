"""The usage ledger on the embedded store: windows, atomic reservations across
processes, statements from providers, restarts and rebuilding."""

from __future__ import annotations

import datetime
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

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

NOW = 1_765_000_000.0  # 2025-12-06 05:46:40 UTC
MINUTE = Window("groq/llama", "k1", Period.MINUTE)
DAY = Window("groq/llama", "k1", Period.DAY_UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "neoclone.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[Store]:
    with Store(path) as opened:
        yield opened


def spend(ledger: UsageLedger, claims: list[Claim], times: int, at: float, tokens: int = 10) -> int:
    """How many of `times` reservations were granted."""
    return sum(isinstance(ledger.reserve(claims, tokens, at), Reservation) for _ in range(times))


def test_the_store_is_a_usage_ledger(store: Store) -> None:
    assert isinstance(store, UsageLedger)


def test_a_window_grants_its_limit_then_says_when_it_gives_room_back(store: Store) -> None:
    claims = [Claim(MINUTE, request_limit=5), Claim(DAY, request_limit=1000)]

    granted = spend(store, claims, 7, NOW)
    refused = store.reserve(claims, 10, NOW)

    assert granted == 5
    assert isinstance(refused, Shortfall)
    assert (refused.window, refused.unit, refused.left, refused.limit) == (MINUTE, "requests", 0, 5)
    assert NOW + 60 <= refused.resets_at <= NOW + 65  # never before the minute is over


def test_a_refused_reservation_counts_in_no_window(store: Store) -> None:
    claims = [Claim(DAY, request_limit=1000), Claim(MINUTE, request_limit=1)]
    spend(store, claims, 3, NOW)

    counts = store.usage(NOW).counts

    assert counts[DAY].requests == 1
    assert counts[MINUTE].requests == 1


def test_a_sliding_minute_gives_its_room_back_after_a_minute(store: Store) -> None:
    claims = [Claim(MINUTE, request_limit=2)]
    assert spend(store, claims, 3, NOW) == 2

    assert spend(store, claims, 1, NOW + 30) == 0
    assert spend(store, claims, 2, NOW + 66) == 2


def test_a_utc_day_starts_again_at_midnight_utc(store: Store) -> None:
    claims = [Claim(DAY, request_limit=1)]
    midnight = (NOW // 86400 + 1) * 86400
    assert spend(store, claims, 2, midnight - 1) == 1

    refused = store.reserve(claims, 1, midnight - 1)

    assert isinstance(refused, Shortfall)
    assert refused.resets_at == midnight
    assert spend(store, claims, 1, midnight) == 1


def test_a_pacific_day_starts_at_midnight_in_los_angeles() -> None:
    start, end = Period.DAY_PACIFIC.day(NOW)  # 2025-12-05 21:46 in Los Angeles (PST)

    assert datetime.datetime.fromtimestamp(start, datetime.timezone.utc).hour == 8
    assert end - start == 86400
    summer = datetime.datetime(2025, 7, 1, 12, tzinfo=datetime.timezone.utc).timestamp()
    assert (
        datetime.datetime.fromtimestamp(
            Period.DAY_PACIFIC.day(summer)[0], datetime.timezone.utc
        ).hour
        == 7
    )  # PDT


def test_tokens_that_do_not_fit_are_refused_and_settling_corrects_the_estimate(
    store: Store,
) -> None:
    claims = [Claim(MINUTE, token_limit=1000)]
    first = store.reserve(claims, 800, NOW)
    assert isinstance(first, Reservation)
    assert isinstance(store.reserve(claims, 300, NOW), Shortfall)

    store.settle(first, 100)  # the response's usage said 100

    assert isinstance(store.reserve(claims, 300, NOW), Reservation)
    assert store.usage(NOW).counts[MINUTE].tokens == 400


def test_a_provider_statement_wins_until_its_reset(store: Store) -> None:
    claims = [Claim(DAY, request_limit=1000)]
    reading = QuotaReading(requests=Allowance(remaining=2, limit=1000, reset_at=NOW + 100))
    store.observe("groq/llama", "k1", reading, NOW)

    granted = spend(store, claims, 4, NOW + 1)
    refused = store.reserve(claims, 1, NOW + 1)

    assert granted == 2
    assert isinstance(refused, Shortfall)
    assert refused.stated and refused.resets_at == NOW + 100
    assert spend(store, claims, 1, NOW + 100) == 1


def test_statements_and_windows_belong_to_one_key(store: Store) -> None:
    store.observe("groq/llama", "k1", QuotaReading(requests=Allowance(0, reset_at=NOW + 50)), NOW)
    other_key = Window("groq/llama", "k2", Period.DAY_UTC)

    assert spend(store, [Claim(other_key, request_limit=10)], 1, NOW) == 1
    assert spend(store, [Claim(DAY, request_limit=10)], 1, NOW) == 0


def test_a_restart_keeps_the_ledger(path: Path) -> None:
    with Store(path) as store:
        spend(store, [Claim(DAY, request_limit=3)], 2, NOW)
        store.observe("groq/llama", "k1", QuotaReading(tokens=Allowance(5, reset_at=NOW + 9)), NOW)

    with Store(path) as store:
        view = store.usage(NOW + 1)
        assert view.counts[DAY].requests == 2
        assert [(s.unit, s.left) for s in view.stated] == [("tokens", 5)]
        assert spend(store, [Claim(DAY, request_limit=3)], 2, NOW + 1, tokens=1) == 1


def test_a_corrupt_file_is_rebuilt_with_an_empty_ledger(path: Path) -> None:
    path.write_bytes(b"not a database at all\x00\xff" * 200)

    with structlog.testing.capture_logs() as logs, Store(path) as store:
        assert spend(store, [Claim(DAY, request_limit=1)], 2, NOW) == 1

    assert any(e["event"] == "neoclone.store_recovered" for e in logs)


def test_missing_or_damaged_ledger_tables_are_rebuilt(path: Path) -> None:
    with Store(path) as store:
        spend(store, [Claim(DAY, request_limit=5)], 2, NOW)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE usage")
        conn.execute("DROP TABLE usage_stated")

    with structlog.testing.capture_logs() as logs, Store(path) as store:
        assert spend(store, [Claim(DAY, request_limit=5)], 1, NOW) == 1
        assert store.usage(NOW).counts[DAY].requests == 1
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE usage SET requests = 'garbage'")
        assert store.usage(NOW).counts[DAY].requests == 0  # unreadable counts as nothing
        assert spend(store, [Claim(DAY, request_limit=5)], 1, NOW) == 1

    assert [e["event"] for e in logs] == ["neoclone.ledger_rebuilt"]


def test_a_secret_never_reaches_the_ledger(store: Store, path: Path) -> None:
    window = Window("groq/llama", "3f2a9c1b7d4e", Period.DAY_UTC)
    spend(store, [Claim(window, request_limit=5)], 1, NOW)

    with sqlite3.connect(path) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM usage")]

    assert keys == ["groq/llama|3f2a9c1b7d4e|day-utc"]


SPENDER = """
import sys
from pathlib import Path
from neoclone_core.state.store import Store
from neoclone_core.state.usage import Claim, Period, Reservation, Window
path, tries, now = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
claims = [Claim(Window("groq/llama", "k1", Period.DAY_UTC), request_limit=50)]
sys.stdin.readline()  # start together
with Store(path) as store:
    granted = sum(isinstance(store.reserve(claims, 1, now), Reservation) for _ in range(tries))
print(granted)
"""


def test_two_processes_spending_one_budget_never_exceed_its_limit(path: Path) -> None:
    Store(path).close()  # created once, as a running instance would have it
    spenders = [
        subprocess.Popen(
            [sys.executable, "-c", SPENDER, str(path), "60", str(NOW)],
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

    # Never more than the limit; a little less when a process ends holding calls it
    # counted ahead (its lease), given back when it closes.
    assert 50 - 2 * 3 <= sum(granted) <= 50
    with Store(path) as store:
        assert store.usage(NOW).counts[DAY].requests == sum(granted)


def test_a_call_never_sent_gives_its_request_back(store: Store) -> None:
    claims = [Claim(DAY, request_limit=1)]
    reservation = store.reserve(claims, 50, NOW)
    assert isinstance(reservation, Reservation)

    store.settle(reservation, 0, sent=False)

    assert store.usage(NOW).counts[DAY].requests == 0
    assert spend(store, claims, 2, NOW) == 1


def test_the_view_keeps_the_limits_last_claimed(store: Store) -> None:
    spend(store, [Claim(MINUTE, request_limit=5, token_limit=900)], 2, NOW)

    count = store.usage(NOW).counts[MINUTE]

    assert (count.requests, count.tokens) == (2, 20)
    assert (count.request_limit, count.token_limit) == (5, 900)


def test_counts_of_unlimited_windows_are_written_by_close_and_seen_by_usage(path: Path) -> None:
    with Store(path) as store:
        spend(store, [Claim(MINUTE), Claim(DAY)], 3, NOW)
        assert store.usage(NOW).counts[DAY].requests == 3  # this process sees them at once

    with Store(path) as store:
        assert store.usage(NOW).counts[DAY].requests == 3


def test_calls_counted_ahead_are_given_back_when_flushed(store: Store) -> None:
    claims = [Claim(MINUTE, request_limit=10_000), Claim(DAY, request_limit=100_000)]

    assert spend(store, claims, 20, NOW) == 20
    held = store.usage(NOW).counts[DAY].requests  # with what this process counted ahead
    store.flush_usage()

    assert held > 20
    assert store.usage(NOW).counts[DAY].requests == 20
