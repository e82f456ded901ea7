"""The `neoclone` command group: the core's commands, and those plugins add through the
`neoclone_register_commands` hook (`neoclone serve` comes with neoclone-gateway).

Plugins are loaded for their commands only when the command asked for is not one of
the core's, or when help lists them, so `neoclone run` pays nothing for it; and only the
plugins that say they add commands, by listing their module in the `neoclone.commands`
entry-point group beside `neoclone`, so `neoclone --help` imports no provider.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from neoclone_core.cli import catalog_commands, quota_command, request_commands
from neoclone_core.cli.support import (
    EXIT_CODES_HELP,
    EXIT_USAGE,
    ExitCodesInHelp,
    State,
    configure_logging,
)

# Commands that bundled plugins add, and the distribution to install for each: what
# `neoclone <command>` says when that plugin is missing.
PLUGIN_COMMANDS = {"serve": "neoclone-gateway"}
COMMANDS_GROUP = "neoclone.commands"  # the plugins that add commands, listed again here


class _Group(ExitCodesInHelp, click.Group):
    """The `neoclone` group: its commands are `ExitCodesInHelp` commands, the core's and
    then the plugins' (loaded on first need)."""

    command_class = ExitCodesInHelp
    _plugins_loaded = False

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Add `cmd`; a plugin's command gets the exit codes in its help too."""
        if not isinstance(cmd, ExitCodesInHelp) and EXIT_CODES_HELP not in (cmd.epilog or ""):
            cmd.epilog = f"{cmd.epilog}\n\n{EXIT_CODES_HELP}" if cmd.epilog else EXIT_CODES_HELP
        super().add_command(cmd, name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and not self._plugins_loaded:
            self._load_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in PLUGIN_COMMANDS:
            return _missing_plugin_command(cmd_name, PLUGIN_COMMANDS[cmd_name])
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        if not self._plugins_loaded:
            self._load_plugin_commands()
        return super().list_commands(ctx)

    def _load_plugin_commands(self) -> None:
        """Let every plugin that adds commands add them (one that fails to load or raises
        is logged and skipped)."""
        from neoclone_core.config import disabled_by_env
        from neoclone_core.plugins import build_plugins

        self._plugins_loaded = True
        disabled = disabled_by_env(os.environ)
        plugins = build_plugins(disabled=disabled, entry_point_group=COMMANDS_GROUP)
        plugins.calls("neoclone_register_commands", {"cli": self})


def _missing_plugin_command(name: str, distribution: str) -> click.Command:
    """A stand-in for a plugin's command that is not installed: it says what to install."""

    def explain() -> None:
        click.echo(
            f"error: `neoclone {name}` comes with the {distribution} plugin, which is not"
            f" installed: python -m pip install {distribution}",
            err=True,
        )
        raise SystemExit(EXIT_USAGE)

    return click.Command(name, callback=explain, help=f"(needs {distribution})")


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


for _command in (
    catalog_commands.discover,
    catalog_commands.models,
    catalog_commands.cache,
    catalog_commands.plugins,
    request_commands.run,
    request_commands.stats,
    request_commands.recommend,
    quota_command.quota,
):
    main.add_command(_command)
