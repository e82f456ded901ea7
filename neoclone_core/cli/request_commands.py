"""`neoclone run`, `recommend` and `stats`: requests, what they would run on, and how they
went."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from neoclone_core.cli.support import (
    EXIT_FAILURE,
    ExitCodesInHelp,
    State,
    console,
    print_json,
    run_with,
    scan_due,
)

if TYPE_CHECKING:
    from neoclone_core.cli.recommend_report import RecommendReport
    from neoclone_core.cli.run import RunResult
    from neoclone_core.facade import Neoclone


@click.command(cls=ExitCodesInHelp)
@click.argument("prompt")
@click.option(
    "-m", "--model", help="The model to run (a catalog id); default: the plan for the task."
)
@click.option(
    "-b", "--backup", "backups", multiple=True, help="A model to fall back to (repeatable)."
)
@click.option("--stream", is_flag=True, help="Print the answer as it arrives.")
@click.option("--offline", is_flag=True, help="Do not scan; use the cache and snapshot.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer and route as JSON.")
@click.pass_obj
def run(
    state: State,
    prompt: str,
    model: str | None,
    backups: tuple[str, ...],
    stream: bool,
    offline: bool,
    as_json: bool,
) -> None:
    """Answer PROMPT ("-" reads stdin) with the best free model, falling back as needed,
    then show the route: each model tried, its outcome, error and duration.

    Exit code 0 with an answer, 1 when no model could serve (the route says why).

    \b
    Examples:
      neoclone run "Explain TCP slow start in two sentences"
      neoclone run "Write a haiku" --model openrouter/x:free --backup groq/y --stream
    """
    from neoclone_core.cli.run import render_plan, render_route, run_prompt

    if backups and not model:
        msg = "--backup needs --model (the primary)"
        raise click.UsageError(msg)
    text = sys.stdin.read() if prompt == "-" else prompt
    models = (model, *backups) if model else ()
    err = console(stderr=True)

    def echo(piece: str) -> None:
        click.echo(piece, nl=False)

    async def work(neoclone: Neoclone) -> RunResult:
        if not offline:
            await scan_due(neoclone, state)
        live = stream and not as_json
        return await run_prompt(
            neoclone, text, models, stream=stream, on_chunk=echo if live else None
        )

    result = run_with(state, work)
    if as_json:
        print_json(result.as_dict())
    else:
        render_plan(err, result)
        if not stream:
            click.echo(result.answer, nl=False)
        click.echo()
        render_route(err, result)
    if not result.ok:
        sys.exit(EXIT_FAILURE)


@click.command(cls=ExitCodesInHelp)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def stats(state: State, as_json: bool) -> None:
    """Show the catalog's totals, per-model and per-session call statistics (success
    rate, errors by kind, latency and time-to-first-token percentiles), and which models
    are cooling down or have an open circuit breaker.

    \b
    Examples:
      neoclone stats
      neoclone stats --json
    """

    async def work(neoclone: Neoclone) -> dict[str, Any]:
        return {"catalog": neoclone.catalog_stats(), **neoclone.stats()}

    data = run_with(state, work)
    if as_json:
        print_json(data)
        return
    from neoclone_core.cli.stats_tables import render

    out = console()
    catalog = data["catalog"]
    out.print(
        f"{catalog['total_models']} models, {catalog['free_models']} free, "
        f"from {len(catalog['providers'])} providers"
    )
    render(out, data)


@click.command(cls=ExitCodesInHelp)
@click.argument("text")
@click.option(
    "-n",
    "--max-results",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="How many models to recommend.",
)
@click.option("--explain", is_flag=True, help="Show the reason behind every score component.")
@click.option(
    "--all",
    "all_providers",
    is_flag=True,
    help="Rank the whole catalog, also the providers whose key is not set.",
)
@click.option("--offline", is_flag=True, help="Do not scan; use the cache and snapshot.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def recommend(
    state: State,
    text: str,
    max_results: int,
    explain: bool,
    all_providers: bool,
    offline: bool,
    as_json: bool,
) -> None:
    """Recommend free models for the task in TEXT ("-" reads it from stdin), with the
    detected task profile and every score component. Only models this machine can call
    now are ranked (their provider's key is set, or it needs none); --all ranks every one.

    \b
    Examples:
      neoclone recommend "Generate Python code for neural networks"
      neoclone recommend "What is in this photo?" -n 3 --explain
      neoclone recommend "Prove that sqrt(2) is irrational" --all
      cat report.txt | neoclone recommend - --json
    """
    from neoclone_core.cli.recommend_report import RecommendReport

    task = sys.stdin.read() if text == "-" else text

    async def work(neoclone: Neoclone) -> RecommendReport:
        if not offline:
            await scan_due(neoclone, state)
        return RecommendReport.build(neoclone, task, max_results, all_providers=all_providers)

    report = run_with(state, work)
    if as_json:
        print_json(report.as_dict())
    else:
        report.render(console(), explain=explain)
