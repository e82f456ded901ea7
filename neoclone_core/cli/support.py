"""What every `neoclone` command shares, plugin commands too: the options' state, logging,
the console, JSON output, and errors reported as one line with a meaningful exit code.

Every listing prints a table on a terminal and JSON with `--json`; colours only on a
terminal and never with NO_COLOR. Errors print one line (the traceback only with `-v`),
unexpected ones too. Exit codes, which every command's `--help` lists: 0 done, 1 a
runtime failure (no model could serve, store unusable), 2 bad usage or configuration,
130 interrupted. rich is imported only when something is printed, so `neoclone --help`
stays fast. A plugin's command (`neoclone_register_commands`) takes `State` with
`@click.pass_obj` and uses these helpers.
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

from neoclone_core.errors import (
    ConfigError,
    NeocloneError,
    UnknownModelError,
    UnknownSessionError,
)
from neoclone_core.redaction import redact

if TYPE_CHECKING:
    from rich.console import Console

    from neoclone_core.facade import Neoclone

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
        import structlog

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
    import structlog  # here: `neoclone --help` never configures logging

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
        from neoclone_core.config import load_settings
        from neoclone_core.facade import Neoclone

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
    except (ConfigError, UnknownModelError, UnknownSessionError, ValueError) as exc:
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
    from neoclone_core.cli.progress import SCAN_FAILED_EVENT, scan_with_spinner

    if not state.verbose:
        mute(SCAN_FAILED_EVENT)
    await scan_with_spinner(neoclone, console(stderr=True))


class ExitCodesInHelp(click.Command):
    """Ends `--help` with the exit codes, so that every command (one added later too)
    documents them the same way."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(EXIT_CODES_HELP)
