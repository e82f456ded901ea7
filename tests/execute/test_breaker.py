"""The circuit breaker and the admission: when they open, what they let through, how they
recover, and how their state reaches other processes. Time is a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neoclone_core import BreakerPolicy, BreakerState, BreakerStatus, ModelInfo, build_plugins
from neoclone_core.errors import (
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
    StoreError,
    StreamInterruptedError,
)
from neoclone_core.execute.admission import Admission, CallPermit
from neoclone_core.execute.breaker import Breaker
from neoclone_core.state.engine_state import Cooldown
from neoclone_core.state.store import Store
from tests.support import ManualClock

MODEL = ModelInfo("p", "m")
DOWN = ProviderUnavailableError("503")


def breaker(**policy: Any) -> Breaker:
    return Breaker(BreakerState("k"), BreakerPolicy(**policy))


def fail(b: Breaker, times: int, now: float = 0.0) -> list[BreakerState | None]:
    return [b.failed(now, "unavailable", probe=False) for _ in range(times)]


# -- the breaker ------------------------------------------------------------------------


def test_one_failure_does_not_open_it_and_five_in_a_row_do() -> None:
    b = breaker()
    transitions = fail(b, 5)
    assert transitions[:4] == [None] * 4
    opened = transitions[4]
    assert opened is not None and opened.status is BreakerStatus.OPEN
    assert opened.until == 30.0 and opened.reason == "5 failures in a row, last unavailable"


def test_a_success_resets_the_run_of_failures() -> None:
    b = breaker()
    fail(b, 4)
    b.succeeded(0.0, probe=False)
    assert fail(b, 4) == [None] * 4


def test_a_failure_ratio_over_enough_calls_opens_it() -> None:
    b = breaker(consecutive_failures=100, window=10, min_calls=10, failure_ratio=0.5)
    for _ in range(5):
        assert fail(b, 1) == [None]
        b.succeeded(0.0, probe=False)  # half of the last 10 failed: not more than half
    assert fail(b, 1) == [None]  # still 5 of 10: the oldest failure left the window
    opened = fail(b, 1)[0]  # 6 of 10
    assert opened is not None and opened.reason == "6 of the last 10 calls failed, last unavailable"


def test_an_open_breaker_refuses_until_its_wait_is_over_then_lets_one_probe_through() -> None:
    b = breaker()
    fail(b, 5, now=100.0)
    assert b.refusal(129.9).startswith("breaker open for 0s more")
    assert b.refusal(130.0) == ""
    assert b.take_probe(130.0)
    assert b.refusal(130.0) == "breaker half-open, its probe call is under way"


def test_a_failed_probe_reopens_it_for_longer_each_time_up_to_the_cap() -> None:
    b = breaker(open_s=30, backoff_factor=2, max_open_s=100)
    fail(b, 5)
    waits = []
    now = 0.0
    for _ in range(4):
        now = b.state.until
        assert b.take_probe(now)
        reopened = b.failed(now, "timeout", probe=True)
        assert reopened is not None and reopened.reason == "probe failed: timeout"
        waits.append(reopened.until - now)
    assert waits == [60, 100, 100, 100]


def test_a_successful_probe_closes_it_and_starts_counting_afresh() -> None:
    b = breaker()
    fail(b, 5)
    assert b.take_probe(30.0)
    closed = b.succeeded(31.0, probe=True)
    assert closed == BreakerState("k", BreakerStatus.CLOSED, 0.0, 0, 31.0, "")
    assert fail(b, 4, now=31.0) == [None] * 4


def test_a_released_probe_lets_the_next_call_probe() -> None:
    b = breaker()
    fail(b, 5)
    assert b.take_probe(30.0)
    b.released()
    assert b.refusal(30.0) == ""


def test_failures_of_calls_let_through_before_it_opened_change_nothing() -> None:
    b = breaker()
    opened = fail(b, 5)[-1]
    assert fail(b, 20, now=1.0) == [None] * 20
    assert b.state == opened


def test_a_newer_stored_state_is_adopted_and_an_older_one_ignored() -> None:
    b = breaker()
    fail(b, 5, now=10.0)
    b.adopt(BreakerState("k", BreakerStatus.CLOSED, changed_at=5.0))
    assert b.state.status is BreakerStatus.OPEN
    b.adopt(BreakerState("k", BreakerStatus.CLOSED, changed_at=20.0))
    assert b.state.status is BreakerStatus.CLOSED
    assert b.refusal(20.0) == ""


def test_the_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="consecutive_failures"):
        BreakerPolicy(consecutive_failures=0)


# -- the gate ---------------------------------------------------------------------------


class FailingState:
    """A store that is down."""

    def __getattr__(self, name: str) -> Any:
        def down(*args: object) -> Any:
            msg = f"{name}: redis is down"
            raise StoreError(msg)

        return down


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "state.sqlite3") as opened:
        yield opened


def gate(state: Any, clock: ManualClock, sync_s: float = 1.0) -> Admission:
    plugins = build_plugins(entry_points=False)
    return Admission(state, BreakerPolicy(), plugins, clock, clock, sync_s)


def trip(g: Admission, times: int = 5, error: ProviderError = DOWN) -> None:
    """`times` calls of MODEL through `g`, each failing with `error`."""
    for _ in range(times):
        permit = g.admit(MODEL, "")
        assert isinstance(permit, CallPermit)
        g.failed(permit, error)


@pytest.mark.parametrize(
    "error",
    [DOWN, ProviderTimeoutError("t"), MalformedResponseError("m"), StreamInterruptedError("s")],
)
def test_outages_timeouts_and_broken_bodies_count_against_health(
    store: Store, clock: ManualClock, error: ProviderError
) -> None:
    g = gate(store, clock)
    trip(g, 5, error)
    assert "breaker open" in str(g.admit(MODEL, ""))


@pytest.mark.parametrize(
    "error", [RateLimitedError("429"), BadRequestError("400"), AuthenticationError("401")]
)
def test_rate_limits_and_permanent_errors_do_not_count(
    store: Store, clock: ManualClock, error: ProviderError
) -> None:
    g = gate(store, clock)
    trip(g, 10, error)
    assert isinstance(g.admit(MODEL, ""), CallPermit)


def test_an_open_provider_breaker_closes_the_gate_to_all_its_models(
    store: Store, clock: ManualClock
) -> None:
    g = gate(store, clock)
    for name in ("a", "b", "c", "d", "e"):  # five models of one provider fail once each
        permit = g.admit(ModelInfo("p", name), "")
        assert isinstance(permit, CallPermit)
        g.failed(permit, DOWN)
    assert "[provider:p]" in str(g.admit(ModelInfo("p", "f"), ""))


def test_a_providers_breaker_stays_closed_while_one_of_its_models_succeeds(
    store: Store, clock: ManualClock
) -> None:
    """A dead model failing beside a flaky sibling's occasional failure is no evidence
    that the provider is down while a third model answers; every model failing is."""
    g = gate(store, clock)

    def call(name: str, *, ok: bool) -> None:
        permit = g.admit(ModelInfo("p", name), "")
        assert isinstance(permit, CallPermit), permit
        if ok:
            g.succeeded(permit)
        else:
            g.failed(permit, DOWN)

    call("good", ok=True)
    for name in ("dead", "dead", "flaky", "dead", "dead"):  # 5 in a row, across 2 models
        call(name, ok=False)
    assert isinstance(g.admit(ModelInfo("p", "good"), ""), CallPermit)
    call("good", ok=False)  # now no model of the provider answers
    assert "[provider:p]" in str(g.admit(ModelInfo("p", "good"), ""))


def test_breaker_states_are_written_through_and_read_back_by_another_gate(
    store: Store, clock: ManualClock
) -> None:
    trip(gate(store, clock))
    assert store.breakers()["p/m"].status is BreakerStatus.OPEN
    assert "breaker open" in str(gate(store, clock).admit(MODEL, ""))


def test_cooldowns_hold_only_for_the_credential_that_was_told_to_wait(
    store: Store, clock: ManualClock
) -> None:
    g = gate(store, clock)
    g.cool_down("p/m", 60, "rate limited", "key-a")
    assert "rate limited" in str(g.admit(MODEL, "key-a"))
    assert isinstance(g.admit(MODEL, "key-b"), CallPermit)
    assert store.cooldowns(clock.now) == {
        "p/m": Cooldown("p/m", clock.now + 60, "rate limited", clock.now, "key-a")
    }


def test_a_shorter_bench_does_not_shorten_a_longer_one(store: Store, clock: ManualClock) -> None:
    g = gate(store, clock)
    g.cool_down("p/m", 600, "long", "")
    g.cool_down("p/m", 5, "short", "")
    assert g.cooldowns()["p/m"].reason == "long"


def test_another_process_state_arrives_within_the_sync_interval(
    store: Store, clock: ManualClock
) -> None:
    reader = gate(store, clock, sync_s=1.0)
    assert isinstance(reader.admit(MODEL, ""), CallPermit)  # reads the store once
    gate(store, clock).cool_down("p/m", 60, "rate limited", "")
    assert isinstance(reader.admit(MODEL, ""), CallPermit)  # not yet: synced a moment ago
    clock.advance(1)
    assert "rate limited" in str(reader.admit(MODEL, ""))


def test_a_store_that_fails_leaves_the_gate_deciding_from_memory(
    clock: ManualClock, capture_logs: list[dict[str, Any]]
) -> None:
    g = gate(FailingState(), clock)
    trip(g)
    g.cool_down("q/x", 60, "rate limited", "")
    assert "breaker open" in str(g.admit(MODEL, ""))
    assert "rate limited" in str(g.admit(ModelInfo("q", "x"), ""))
    failed = {e["operation"] for e in capture_logs if e["event"] == "neoclone.state_unavailable"}
    assert failed == {"sync", "save_breaker", "set_cooldown"}


@pytest.fixture
def capture_logs() -> Iterator[list[dict[str, Any]]]:
    import structlog.testing

    with structlog.testing.capture_logs() as logs:
        yield logs
