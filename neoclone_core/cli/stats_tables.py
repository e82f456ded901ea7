"""What `neoclone stats` prints on a terminal: the report of `Neoclone.stats()` as tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.markup import escape

if TYPE_CHECKING:
    from rich.console import Console


def render(out: Console, data: Mapping[str, Any]) -> None:
    """`neoclone stats` on a terminal: calls per model, sessions, and what is cooling down."""
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
