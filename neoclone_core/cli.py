"""The `neoclone` command.

Every listing prints a table on a terminal and JSON with `--json`. Errors print one
line (the traceback only with `-v`). Exit codes: 0 done, 1 a runtime failure (no model
could serve, store unusable), 2 bad usage or configuration. rich is imported only when
something is printed, so `neoclone --help` stays fast.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import attrs
import click
import structlog

from neoclone_core._models import Capability
from neoclone_core._secrets import redact
from neoclone_core.errors import ConfigError, NeocloneError, UnknownModelError

if TYPE_CHECKING:
    from rich.console import Console

    from neoclone_core._api import Neoclone
    from neoclone_core._catalog import ProviderScan
    from neoclone_core._cli_run import RunResult

T = TypeVar("T")
EXIT_FAILURE, EXIT_USAGE = 1, 2


def _redact_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: no log line carries anything shaped like a key."""
    return {k: redact(v) if isinstance(v, str) else v for k, v in event.items()}


def configure_logging(verbosity: int) -> None:
    """Warnings by default, info with -v, debug with -vv; always to stderr, redacted."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            _redact_event,
            structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


@attrs.define
class State:
    """What the group's options give every command."""

    config: Path | None
    verbose: int

    def open(self) -> Neoclone:
        """A Neoclone built from the config (plugins loaded, store opened)."""
        from neoclone_core._api import Neoclone
        from neoclone_core._config import load_settings

        return Neoclone(load_settings(self.config))


def console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr): colours only on a terminal."""
    from rich.console import Console

    return Console(highlight=False, stderr=stderr)


def print_json(data: Any) -> None:
    """JSON for scripts, on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


@contextmanager
def reported_errors(state: State) -> Iterator[None]:
    """One readable line per error and a meaningful exit code; tracebacks with -v."""
    try:
        yield
    except (ConfigError, UnknownModelError, ValueError) as exc:
        if state.verbose:
            raise
        click.echo(f"error: {redact(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    except NeocloneError as exc:
        if state.verbose:
            raise
        click.echo(f"error: {redact(str(exc))}", err=True)
        sys.exit(EXIT_FAILURE)


def run_with(state: State, work: Callable[[Neoclone], Awaitable[T]]) -> T:
    """Open neoclone, run `work` on it in an event loop, close it; errors reported."""
    with reported_errors(state):

        async def main() -> T:
            async with state.open() as neoclone:
                return await work(neoclone)

        return anyio.run(main)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Examples:\n\n  neoclone discover\n\n  neoclone models --free --capability code",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="NEOCLONE_CONFIG",
    help="Config file (default: ./neoclone.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="neoclone")
@click.pass_context
def main(ctx: click.Context, config: Path | None, verbose: int) -> None:
    """Find free AI models, pick the right one for a task, run it with fallback."""
    configure_logging(verbose)
    ctx.obj = State(config, verbose)


def _scan_line(scan: ProviderScan) -> str:
    marks = {"scanned": "[green]✓[/]", "fresh": "[green]✓[/]", "failed": "[red]✗[/]"}
    mark = marks.get(scan.status.value, "[yellow]-[/]")
    status = f"{scan.status.value:<12} {scan.models:>5} models"
    return f"{mark} {scan.provider:<16} {status}  {scan.message}"


@main.command()
@click.option("--refresh", is_flag=True, help="Rescan every provider, ignoring the cache.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def discover(state: State, refresh: bool, as_json: bool) -> None:
    """Scan the providers for models (concurrently; cached for 7 days).

    \b
    Examples:
      neoclone discover
      neoclone discover --refresh --json
    """
    out = console()

    async def work(neoclone: Neoclone) -> list[ProviderScan]:
        if as_json:
            return await neoclone.discover(refresh=refresh)
        with out.status(f"Scanning {len(neoclone.catalog.enabled())} providers..."):
            return await neoclone.discover(
                refresh=refresh, on_result=lambda s: out.print(_scan_line(s))
            )

    scans = run_with(state, work)
    if as_json:
        print_json([attrs.asdict(s) for s in scans])
    elif not scans:
        out.print("No provider plugin is installed: see `neoclone plugins`.")


@main.command()
@click.option("--free", "free_only", is_flag=True, help="Only free models.")
@click.option(
    "--capability",
    type=click.Choice([c.value for c in Capability]),
    help="Only models with this capability.",
)
@click.option("--provider", help="Only this provider's models.")
@click.option("--offline", is_flag=True, help="Do not scan; list the cache and snapshot.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def models(
    state: State,
    free_only: bool,
    capability: str | None,
    provider: str | None,
    offline: bool,
    as_json: bool,
) -> None:
    """List the catalog (scanning providers that are due first, unless --offline).

    \b
    Examples:
      neoclone models --free
      neoclone models --capability vision --json
    """
    from neoclone_core._serialize import model_to_dict

    async def work(neoclone: Neoclone) -> list[Any]:
        if not offline:
            await neoclone.discover()
        return neoclone.models(free_only=free_only, capability=capability, provider=provider)

    found = run_with(state, work)
    if as_json:
        print_json([model_to_dict(m) for m in found])
        return
    from rich.table import Column, Table

    from neoclone_core._models import Source
    from neoclone_core._snapshot import snapshot_date

    table = Table(
        Column("id", overflow="fold"),
        Column("context", justify="right"),
        "capabilities",
        "free",
        "source",
        title=f"{len(found)} models",
    )
    if any(m.source is Source.SNAPSHOT for m in found):
        table.caption = (
            f"snapshot: the catalog bundled with neoclone, recorded {snapshot_date()}; "
            "`neoclone discover` refreshes it"
        )
    for m in found:
        context = f"{m.context_length:,}" if m.context_length else "?"
        capabilities = ", ".join(sorted(c.value for c in m.capabilities))
        table.add_row(m.id, context, capabilities, "yes" if m.free else "no", m.source.value)
    console().print(table)


@main.command()
@click.option("--clear", is_flag=True, help="Forget every scan (the next listing rescans).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def cache(state: State, clear: bool, as_json: bool) -> None:
    """Show how fresh the scan cache is.

    \b
    Examples:
      neoclone cache
      neoclone cache --clear
    """

    async def work(neoclone: Neoclone) -> dict[str, Any]:
        if clear:
            neoclone.store.clear_cache()
        return {**neoclone.get_cache_stats(), "store": str(neoclone.store.path)}

    stats = run_with(state, work)
    if as_json:
        print_json(stats)
        return
    out = console()
    out.print(f"store: {stats['store']}")
    out.print(f"models held: {stats['total_models']}   rescans avoided: {stats['rescans_avoided']}")
    for key in ("fresh", "stale", "backing_off", "never_scanned"):
        out.print(f"{key.replace('_', ' ')}: {', '.join(stats[key]) or '-'}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def plugins(state: State, as_json: bool) -> None:
    """List installed plugins, their hooks and providers.

    \b
    Examples:
      neoclone plugins
      NEOCLONE_DISABLE_PLUGINS=default-scoring neoclone plugins
    """
    from neoclone_core._config import load_settings
    from neoclone_core._plugins import build_plugins

    with reported_errors(state):
        settings = load_settings(state.config)
        loaded = build_plugins(disabled=settings.disabled_plugins)
        providers = loaded.providers()
    infos = sorted(loaded.infos.values(), key=lambda i: i.name)
    if as_json:
        print_json(
            {
                "plugins": [attrs.asdict(i) for i in infos],
                "providers": sorted(providers),
                "disabled": list(settings.disabled_plugins),
            }
        )
        return
    from rich.table import Table

    table = Table("name", "distribution", "version", "hooks", title="neoclone plugins")
    for info in infos:
        hooks = f"[red]failed to load: {info.error}[/]" if info.error else ", ".join(info.hooks)
        table.add_row(info.name, info.distribution, info.version, hooks)
    out = console()
    out.print(table)
    out.print(f"providers: {', '.join(sorted(providers)) or 'none'}")
    if settings.disabled_plugins:
        out.print(f"disabled: {', '.join(settings.disabled_plugins)}")


@main.command()
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
    from neoclone_core._cli_run import render_plan, render_route, run_prompt

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
            await neoclone.discover()
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


@main.command()
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
        return {"catalog": neoclone.get_enhanced_stats(), **neoclone.stats()}

    data = run_with(state, work)
    if as_json:
        print_json(data)
        return
    from neoclone_core._monitor import render

    out = console()
    catalog = data["catalog"]
    out.print(
        f"{catalog['total_models']} models, {catalog['free_models']} free, "
        f"from {len(catalog['providers'])} providers"
    )
    render(out, data)


@main.command()
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
@click.option("--offline", is_flag=True, help="Do not scan; use the cache and snapshot.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def recommend(
    state: State, text: str, max_results: int, explain: bool, offline: bool, as_json: bool
) -> None:
    """Recommend free models for the task in TEXT ("-" reads it from stdin), with the
    detected task profile and every score component.

    \b
    Examples:
      neoclone recommend "Generate Python code for neural networks"
      neoclone recommend "What is in this photo?" -n 3 --explain
      cat report.txt | neoclone recommend - --json
    """
    from neoclone_core._report import RecommendReport

    task = sys.stdin.read() if text == "-" else text

    async def work(neoclone: Neoclone) -> RecommendReport:
        if not offline:
            await neoclone.discover()
        return RecommendReport.build(neoclone, task, max_results)

    report = run_with(state, work)
    if as_json:
        print_json(report.as_dict())
    else:
        report.render(console(), explain=explain)
