"""Performance monitoring as one JSON-able report: per model, per session, and the
breakers and cooldowns in force; what `Neoclone.stats()` and `neoclone stats` show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from neoclone_core._engine import Engine
from neoclone_core._state import BreakerStatus, ModelStats, SessionStats
from neoclone_core.errors import StoreError

if TYPE_CHECKING:
    from rich.console import Console

ALL_REQUESTS = ""  # the session name of requests made outside any session


def model_dict(stats: ModelStats) -> dict[str, Any]:
    """One model's statistics as JSON."""
    return {
        "successes": stats.successes,
        "failures": stats.failures,
        "success_rate": stats.success_rate,
        "errors_by_kind": dict(stats.errors_by_kind),
        "latency_p50_s": stats.latency_p50_s,
        "latency_p95_s": stats.latency_p95_s,
        "ttft_p50_s": stats.ttft_p50_s,
        "ttft_p95_s": stats.ttft_p95_s,
        "last_attempt_at": stats.last_attempt_at,
    }


def report(engine: Engine, session_names: Iterable[str]) -> dict[str, Any]:
    """Everything monitored, fresh from the store (buffered outcomes written first).

    `sessions` lists the named sessions (those given, even before their first request);
    `requests` sums up the requests made outside any session.
    """
    engine.recorder.flush()
    engine.gate.sync(force=True)
    sessions = _session_stats(engine)
    named = {name: sessions.get(name, SessionStats(name)) for name in session_names}
    named.update({k: v for k, v in sessions.items() if k != ALL_REQUESTS})
    return {
        "models": {
            model_id: model_dict(s)
            for model_id, s in sorted(engine.recorder.model_stats(fresh=True).items())
        },
        "sessions": {name: s.as_dict() for name, s in sorted(named.items())},
        "requests": sessions.get(ALL_REQUESTS, SessionStats(ALL_REQUESTS)).as_dict(),
        "breakers": _breakers(engine),
        "cooldowns": {
            key: {"until": c.until, "reason": c.reason}
            for key, c in engine.gate.cooldowns().items()
        },
    }


def _session_stats(engine: Engine) -> Mapping[str, SessionStats]:
    try:
        return engine.state.session_stats()
    except StoreError:
        return {}


def _breakers(engine: Engine) -> dict[str, dict[str, Any]]:
    now = engine.clock()
    return {
        key: {"status": str(status), "until": state.until, "reason": state.reason}
        for key, state in engine.gate.breaker_states().items()
        if (status := state.status_at(now)) is not BreakerStatus.CLOSED
    }


# -- printing ---------------------------------------------------------------------------


def render(out: Console, data: Mapping[str, Any]) -> None:
    """`neoclone stats` on a terminal: calls per model, sessions, and what is benched."""
    from rich.table import Column, Table

    model = Column("model", overflow="fold")  # ids are copied from here: never cut
    table = Table(
        model, "ok", "failed", "success", "p50", "p95", "ttft p50", "errors", title="calls"
    )
    for model_id, s in data["models"].items():
        errors = ", ".join(f"{kind} {n}" for kind, n in sorted(s["errors_by_kind"].items()))
        table.add_row(
            escape(model_id),
            str(s["successes"]),
            str(s["failures"]),
            _percent(s["success_rate"]),
            _seconds(s["latency_p50_s"]),
            _seconds(s["latency_p95_s"]),
            _seconds(s["ttft_p50_s"]),
            errors or "-",
        )
    out.print(table)
    _render_sessions(out, {"(no session)": data["requests"], **data["sessions"]})
    _render_waits(out, data["breakers"], data["cooldowns"])


def _render_sessions(out: Console, sessions: Mapping[str, Mapping[str, Any]]) -> None:
    from rich.table import Table

    table = Table("session", "requests", "success", "fallbacks", "p50", "p95", title="requests")
    for name, s in sessions.items():
        table.add_row(
            escape(name),
            str(s["requests"]),
            _percent(s["success_rate"]),
            str(s["fallbacks"]),
            _seconds(s["latency_p50_s"]),
            _seconds(s["latency_p95_s"]),
        )
    out.print(table)


def _render_waits(
    out: Console, breakers: Mapping[str, Mapping[str, Any]], cooldowns: Mapping[str, Any]
) -> None:
    for key, b in breakers.items():
        out.print(f"breaker {b['status']}: {escape(key)} ({escape(b['reason'])})")
    for key, c in cooldowns.items():
        out.print(f"cooling down: {escape(key)} ({escape(c['reason'])})")
    if not breakers and not cooldowns:
        out.print("every breaker closed, nothing cooling down")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"
