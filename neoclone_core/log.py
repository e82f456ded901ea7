"""neoclone's logger: `structlog.get_logger("neoclone")`, with structlog imported on the
first event instead of at `import neoclone_core`.

structlog's own import brings its console renderer, which imports rich when rich is
installed: about a third of the time `import neoclone_core` took. The library never
configures logging (the CLI does, or the host application); each event goes to whatever
configuration is current when it is logged.
"""

from __future__ import annotations

from typing import Any

NAME = "neoclone"


class _Logger:
    """Stands for `structlog.get_logger(NAME)`: each attribute is looked up on it then."""

    def __getattr__(self, method: str) -> Any:
        import structlog

        return getattr(structlog.get_logger(NAME), method)


log = _Logger()
