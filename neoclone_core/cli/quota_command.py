"""`neoclone quota`: what is left of every free-tier quota, as `Neoclone.quota()` reports
it, in a table per provider and model (or `--json`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from neoclone_core.cli.support import ExitCodesInHelp, State, console, print_json, run_with
from neoclone_core.execute.budget import span

if TYPE_CHECKING:
    from rich.console import Console

    from neoclone_core.facade import Neoclone


@click.command(cls=ExitCodesInHelp)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def quota(state: State, as_json: bool) -> None:
    """Show what is left of the free-tier quotas: per provider, model (or whole account)
    and window, the requests and tokens used, their limit, what is left and when the
    window gives room back; then what the providers last said was left. Keys appear as a
    short fingerprint, never themselves.

    \b
    Examples:
      neoclone quota
      neoclone quota --json
    """

    async def work(neoclone: Neoclone) -> dict[str, Any]:
        return neoclone.quota()

    data = run_with(state, work)
    if as_json:
        print_json(data)
        return
    render(console(), data)


def render(out: Console, data: Mapping[str, Any]) -> None:
    """The report as two tables: counted windows, and what providers said."""
    from rich.markup import escape
    from rich.table import Column, Table

    if not data["windows"] and not data["stated"]:
        out.print("nothing spent yet: no quota counted")
        return
    model = Column("model", overflow="fold")  # ids are copied from here: never cut
    table = Table("provider", model, "window", "used", "limit", "left", "tokens", "resets in")
    for w in data["windows"]:
        requests, tokens = w["requests"], w["tokens"]
        table.add_row(
            escape(w["provider"]),
            escape(w["model"] or "(whole account)"),
            w["window"],
            f"{requests['used']:,}",
            _number(requests["limit"]),
            _number(requests["left"]),
            _tokens(tokens),
            span(w["resets_in_s"]),
        )
    out.print(table)
    if data["stated"]:
        said = Table(
            "provider", Column("model", overflow="fold"), "unit", "left", "limit", "resets in"
        )
        for s in data["stated"]:
            said.add_row(
                escape(s["provider"]),
                escape(s["model"] or "(whole account)"),
                s["unit"],
                f"{s['left']:,}",
                _number(s["limit"]),
                span(s["resets_in_s"]),
            )
        out.print("what the providers said last:")
        out.print(said)


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _tokens(tokens: Mapping[str, Any]) -> str:
    if tokens["limit"] is None:
        return f"{tokens['used']:,}"
    return f"{tokens['used']:,} of {tokens['limit']:,}"
