"""The `neoclone` command; rendering libraries are imported only here.

`main` is the command group. A plugin's command (added through the
`neoclone_register_commands` hook) takes `State` with `@click.pass_obj` and uses
`reported_errors`, `print_json` and `console` as the core's commands do.
"""

from neoclone_core.cli.main import main
from neoclone_core.cli.support import (
    ExitCodesInHelp,
    State,
    console,
    print_json,
    reported_errors,
)

__all__ = ["ExitCodesInHelp", "State", "console", "main", "print_json", "reported_errors"]
