"""What the command line shows while providers are scanned.

Discovery can take as long as the slowest provider's timeout, so a terminal must show
that something is happening: `neoclone discover` draws a table with one row per
provider, each row turning from a spinner into its outcome as its scan ends; the
commands that scan on the way (`models`, `recommend`, `run`) show a one-line spinner on
stderr that disappears when the scan is over. Piped into a file or another program,
neither animates: `discover` prints its table once, the others print nothing.

A failed scan is already a row of that table, so the `neoclone.scan_failed` warning
would say it twice; the commands mute it (unless `-v`) and print one summary line
instead. Kept out of cli.py so the commands stay a few lines each.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from neoclone_core.discover.catalog import ProviderScan, ScanStatus

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

    from neoclone_core.facade import Neoclone

SCAN_FAILED_EVENT = "neoclone.scan_failed"

_MARKS = {
    ScanStatus.SCANNED: "[green]✓ scanned[/]",
    ScanStatus.FRESH: "[green]✓ fresh[/]",
    ScanStatus.FAILED: "[red]✗ failed[/]",
    ScanStatus.BACKING_OFF: "[yellow]… backing off[/]",
    ScanStatus.SKIPPED: "[yellow]- skipped[/]",
    ScanStatus.DISABLED: "[dim]- disabled[/]",
}


class ScanBoard:
    """`neoclone discover`'s table: every provider, pending ones with a spinner.

    rich's `Live` re-renders it (through `__rich__`) while scans run; `record` is the
    discovery's `on_result` callback.
    """

    def __init__(self, providers: Iterable[str]) -> None:
        self.providers = sorted(providers)
        self.results: dict[str, ProviderScan] = {}
        self.started = time.perf_counter()

    def record(self, scan: ProviderScan) -> None:
        """One provider's outcome, as soon as it is known."""
        self.results[scan.provider] = scan

    def __rich__(self) -> Table:
        from rich.markup import escape
        from rich.spinner import Spinner
        from rich.table import Column, Table

        names = sorted({*self.providers, *self.results})
        done = sum(1 for name in names if name in self.results)
        title = f"discovery: {done} of {len(names)} providers done"
        table = Table(
            "provider",
            "outcome",
            Column("models", justify="right"),
            Column("time", justify="right"),
            Column("detail", overflow="fold"),
            title=title,
        )
        for name in names:
            scan = self.results.get(name)
            if scan is None:
                cells: list[RenderableType] = [Spinner("dots", "scanning"), "", "", ""]
            else:
                seconds = f"{scan.duration_s:.2f}s" if scan.duration_s else "-"
                detail = "-" if scan.message in ("", "ok") else escape(_detail(scan))
                cells = [_MARKS.get(scan.status, str(scan.status)), str(scan.models), seconds]
                cells.append(detail)
            table.add_row(escape(name), *cells)
        return table


def _detail(scan: ProviderScan) -> str:
    """The scan's message without the error class and provider name that lead it (the
    row shows both): "cannot reach api.groq.com: ..." rather than
    "ProviderUnavailableError: groq: cannot reach api.groq.com: ..."."""
    lead = re.compile(rf"(?:[A-Za-z]+Error: )?{re.escape(scan.provider)}: ")
    return lead.sub("", scan.message, count=1)


def summary(scans: Iterable[ProviderScan], catalog_size: int) -> str:
    """One line after the table: how many providers ended how, and the catalog's size."""
    counts: dict[ScanStatus, int] = {}
    for scan in scans:
        counts[scan.status] = counts.get(scan.status, 0) + 1
    parts = [f"{n} {status.value.replace('_', ' ')}" for status, n in sorted(counts.items())]
    return f"{', '.join(parts) or 'no provider'}; {catalog_size} models in the catalog"


def failure_note(scans: Iterable[ProviderScan]) -> str:
    """The one line that stands for the muted scan warnings; "" when none failed."""
    failed = sorted(s.provider for s in scans if s.status is ScanStatus.FAILED)
    if not failed:
        return ""
    many = len(failed) > 1
    return (
        f"[yellow]warning:[/] {len(failed)} provider{'s' * many} could not be scanned "
        f"({', '.join(failed)}): {'their' if many else 'its'} models come from the last "
        "good scan or the bundled snapshot; `neoclone discover` shows why"
    )


async def scan_with_spinner(
    neoclone: Neoclone, err: Console, *, refresh: bool = False
) -> list[ProviderScan]:
    """Scan the providers that are due (all with `refresh`), with a spinner on `err`
    (on a terminal only, gone when done), then print the failure note if any failed."""
    total = len(neoclone.provider_names)  # disabled ones report too
    done: list[ProviderScan] = []
    with err.status(f"Scanning {total} providers...") as status:

        def record(scan: ProviderScan) -> None:
            done.append(scan)
            status.update(f"Scanning {total} providers... {len(done)} done")

        scans = await neoclone.discover(refresh=refresh, on_result=record)
    if note := failure_note(scans):
        err.print(note, soft_wrap=True)  # one line, even in a log file
    return scans
