"""The gateway's plugin: it adds `neoclone serve` to the `neoclone` command."""

from __future__ import annotations

import click

from neoclone_core.hookspecs import hookimpl
from neoclone_gateway._command import serve


@hookimpl
def neoclone_register_commands(cli: click.Group) -> None:
    """`neoclone serve`."""
    cli.add_command(serve)
