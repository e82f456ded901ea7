"""The `neoclone` command.

Every listing prints a table on a terminal and JSON with `--json`; scans show their
progress on a terminal (`_cli_progress`); colours only on a terminal and never with
NO_COLOR. Errors print one line (the traceback only with `-v`), unexpected ones too.
Exit codes, which every command's `--help` lists: 0 done, 1 a runtime failure (no model
could serve, store unusable), 2 bad usage or configuration, 130 interrupted. rich is
imported only when something is printed, so `neoclone --help` stays fast.
"""

from __future__ import annotations

import json
import logging
import os
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
EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 a runtime failure (no model could serve, the store cannot be "
    "used, a plugin failed); 2 bad usage or configuration; 130 interrupted (Ctrl-C)."
)


def _redact_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: no log line carries anything shaped like a key."""
    return {k: redact(v) if isinstance(v, str) else v for k, v in event.items()}


_MUTED: set[str] = set()
"""Log events a command shows in its own output (a failed scan is a row of `discover`'s
table): logging them as well would say the same thing twice."""


def mute(event: str) -> None:
    """Drop `event` from the log for the rest of the command (not with -v: see `main`)."""
    _MUTED.add(event)


def _drop_muted(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if event.get("event") in _MUTED:
        raise structlog.DropEvent
    return event


def colours_on(stream: Any) -> bool:
    """Colours only on a terminal, and never when NO_COLOR is set to anything but ""
    (no-color.org)."""
    return bool(stream.isatty()) and not os.environ.get("NO_COLOR")


def configure_logging(verbosity: int) -> None:
    """Warnings by default, info with -v, debug with -vv; always to stderr, redacted."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    _MUTED.clear()
    structlog.configure(
        processors=[
            _drop_muted,
            structlog.processors.add_log_level,
            # A traceback becomes plain text here, before redaction: rendered later, as
            # structlog's rich tracebacks are, it would show each frame's local
            # variables (a request's headers, a key) unredacted.
            structlog.processors.format_exc_info,
            _redact_event,
            structlog.dev.ConsoleRenderer(
                colors=colours_on(sys.stderr), exception_formatter=structlog.dev.plain_traceback
            ),
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
    """A rich console on stdout (or stderr): colours only on a terminal, none when
    NO_COLOR is set to anything but "" (as no-color.org says; rich alone would also
    take an empty NO_COLOR as set, unlike the log lines)."""
    from rich.console import Console

    return Console(highlight=False, stderr=stderr, no_color=bool(os.environ.get("NO_COLOR")))


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
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException:
        raise  # usage errors: click prints them with the command's usage, exit 2
    except Exception as exc:  # a bug, ours or a plugin's: still one line without -v
        if state.verbose:
            raise
        what = f"unexpected {type(exc).__name__}: {redact(str(exc))}"
        click.echo(f"error: {what} (run with -v for the traceback)", err=True)
        sys.exit(EXIT_FAILURE)


def run_with(state: State, work: Callable[[Neoclone], Awaitable[T]]) -> T:
    """Open neoclone, run `work` on it in an event loop, close it; errors reported."""
    with reported_errors(state):

        async def main() -> T:
            async with state.open() as neoclone:
                return await work(neoclone)

        return anyio.run(main)


async def scan_due(neoclone: Neoclone, state: State) -> None:
    """The scan `models`, `recommend` and `run` make on the way: a spinner on a
    terminal, and one line naming the providers that failed instead of a warning each
    (with -v, the warnings too)."""
    from neoclone_core._cli_progress import SCAN_FAILED_EVENT, scan_with_spinner

    if not state.verbose:
        mute(SCAN_FAILED_EVENT)
    await scan_with_spinner(neoclone, console(stderr=True))


class _ExitCodesInHelp(click.Command):
    """Ends `--help` with the exit codes, so that every command (one added later too)
    documents them the same way."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(EXIT_CODES_HELP)


class _Group(_ExitCodesInHelp, click.Group):
    """The `neoclone` group: its commands are `_ExitCodesInHelp` commands."""

    command_class = _ExitCodesInHelp


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=(
        "\b\nExamples:\n"
        "  neoclone models --offline --free            # no network, no key needed\n"
        '  neoclone recommend "Generate Python code for neural networks"\n'
        '  neoclone run "Write a haiku about the sea"\n'
        "  neoclone discover --refresh                 # rescan every provider now\n"
        "\nEnvironment: NEOCLONE_CONFIG (the config file), NEOCLONE_HOME (where the "
        "store lives), NEOCLONE_DISABLE_PLUGINS (plugins to block, comma-separated), "
        "NO_COLOR, and each provider's key variable (OPENROUTER_API_KEY, GROQ_API_KEY, ...). "
        "Guides: docs/README.md."
    ),
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="NEOCLONE_CONFIG",
    help="Config file (default: ./neoclone.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output and tracebacks (-vv: debug).")
@click.version_option(package_name="neoclone")
@click.pass_context
def main(ctx: click.Context, config: Path | None, verbose: int) -> None:
    """Find free AI models, pick the right one for a task, run it with fallback.

    Listings print tables on a terminal and JSON with --json; colours only on a
    terminal; errors in one line (the traceback with -v).
    """
    configure_logging(verbose)
    ctx.obj = State(config, verbose)


@main.command()
@click.option("--refresh", is_flag=True, help="Rescan every provider, ignoring the cache.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def discover(state: State, refresh: bool, as_json: bool) -> None:
    """Scan the providers for models, all at once, each within the discovery timeout.

    A provider scanned in the last 7 days is not scanned again (unless --refresh), and
    one that keeps failing waits longer before each new try. The table fills in as
    scans end: scanned, fresh (cached), skipped (no API key), failed (and why),
    backing off, disabled.

    \b
    Examples:
      neoclone discover
      neoclone discover --refresh --json
      GROQ_API_KEY=gsk_... neoclone discover --refresh
    """
    from neoclone_core._cli_progress import SCAN_FAILED_EVENT, ScanBoard, scan_with_spinner

    if not state.verbose:
        mute(SCAN_FAILED_EVENT)  # every failure is a row of the table, or of the JSON
    out = console()
    board = ScanBoard(())

    async def work(neoclone: Neoclone) -> tuple[list[ProviderScan], int]:
        board.providers = sorted(neoclone.catalog.providers)
        if as_json:
            scans = await scan_with_spinner(neoclone, console(stderr=True), refresh=refresh)
        elif out.is_terminal:  # the table fills in as scans end
            from rich.live import Live

            with Live(board, console=out, refresh_per_second=8):
                scans = await neoclone.discover(refresh=refresh, on_result=board.record)
        else:  # piped: the finished table only, printed below
            scans = await neoclone.discover(refresh=refresh, on_result=board.record)
        return scans, len(neoclone.models())

    scans, catalog_size = run_with(state, work)
    if as_json:
        print_json([attrs.asdict(s) for s in scans])
    elif not scans:
        out.print("No provider plugin is installed: see `neoclone plugins`.")
    else:
        from neoclone_core._cli_progress import summary

        if not out.is_terminal:
            out.print(board)
        out.print(summary(scans, catalog_size))


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
        if provider is not None and provider not in neoclone.catalog.providers:
            installed = ", ".join(sorted(neoclone.catalog.providers)) or "none"
            msg = f"no provider {provider!r} is installed (installed: {installed})"
            raise click.BadParameter(msg, param_hint="'--provider'")
        if not offline:
            await scan_due(neoclone, state)
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
    from rich.table import Table

    out = console()
    out.print(f"store: {stats['store']}", soft_wrap=True)
    out.print(f"models held: {stats['total_models']}   rescans avoided: {stats['rescans_avoided']}")
    days = stats["ttl_seconds"] / 86400
    table = Table("provider", "scan cache", title=f"scans stay fresh {days:g} days")
    states = {
        "fresh": "[green]fresh[/]",
        "stale": "[yellow]stale: rescanned when next due[/]",
        "backing_off": "[red]backing off after failures[/]",
        "never_scanned": "never scanned: snapshot models",
    }
    rows = sorted((name, label) for key, label in states.items() for name in stats[key])
    for name, label in rows:
        table.add_row(name, label)
    out.print(table)


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
            await scan_due(neoclone, state)
        return RecommendReport.build(neoclone, task, max_results)

    report = run_with(state, work)
    if as_json:
        print_json(report.as_dict())
    else:
        report.render(console(), explain=explain)


def _sessions(values: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """`NAME=MODEL[,MODEL...]` options as session plans."""
    sessions: dict[str, tuple[str, ...]] = {}
    for value in values:
        name, _, listed = value.partition("=")
        models = tuple(m.strip() for m in listed.split(",") if m.strip())
        if not name.strip() or not models:
            msg = f"--session {value!r}: expected NAME=MODEL[,MODEL...]"
            raise click.BadParameter(msg)
        if "/" in name:
            msg = f"--session {value!r}: a session name has no '/' (model ids and aliases do)"
            raise click.BadParameter(msg)
        sessions[name.strip()] = models
    return sessions


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port, printed at start).",
)
@click.option(
    "--session",
    "sessions",
    multiple=True,
    metavar="NAME=MODEL[,MODEL...]",
    help="A named plan clients may ask for as their model (repeatable).",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=4 * 1024 * 1024,
    show_default=True,
    help="Largest request body, in bytes.",
)
@click.option(
    "--max-concurrency",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Chat requests served at once; more get 429.",
)
@click.option("--offline", is_flag=True, help="Do not scan at start; serve the cache and snapshot.")
@click.pass_obj
def serve(
    state: State,
    host: str,
    port: int,
    sessions: tuple[str, ...],
    max_body: int,
    max_concurrency: int,
    offline: bool,
) -> None:
    """Serve an OpenAI-compatible API (/v1/chat/completions, /v1/models, /health,
    /metrics): point any OpenAI client's base URL at it. Listens on loopback unless
    told otherwise; any other address needs $NEOCLONE_GATEWAY_KEY, which clients then
    send as their API key.

    \b
    Examples:
      neoclone serve
      neoclone serve --port 8080 --session coding=groq/qwen/qwen3-32b,mistral/codestral-latest
      NEOCLONE_GATEWAY_KEY=$(openssl rand -hex 24) neoclone serve --host 0.0.0.0
    """
    import os

    from neoclone_core.gateway import GatewayOptions, check_bind

    plans = _sessions(sessions)
    with reported_errors(state):
        options = GatewayOptions.from_env(
            os.environ, max_body_bytes=max_body, max_concurrency=max_concurrency
        )
        check_bind(host, options.key)
        from neoclone_core.gateway._serve import serve as run_gateway

        run_gateway(
            state.open(),
            host=host,
            port=port,
            options=options,
            sessions=plans,
            offline=offline,
            verbose=state.verbose,
        )
