"""`neoclone discover`, `models`, `cache` and `plugins`: what the catalog holds and where
it came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import click

from neoclone_core.cli.support import (
    ExitCodesInHelp,
    State,
    console,
    mute,
    print_json,
    reported_errors,
    run_with,
    scan_due,
)
from neoclone_core.models import Capability

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rich.table import Table

    from neoclone_core.discover.catalog import ProviderScan
    from neoclone_core.facade import Neoclone
    from neoclone_core.provider import FreeTier


@click.command(cls=ExitCodesInHelp)
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
    from neoclone_core.cli.progress import SCAN_FAILED_EVENT, ScanBoard, scan_with_spinner

    if not state.verbose:
        mute(SCAN_FAILED_EVENT)  # every failure is a row of the table, or of the JSON
    out = console()
    board = ScanBoard(())

    async def work(neoclone: Neoclone) -> tuple[list[ProviderScan], int]:
        board.providers = neoclone.provider_names
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
        from neoclone_core.cli.progress import summary

        if not out.is_terminal:
            out.print(board)
        out.print(summary(scans, catalog_size))


@click.command(cls=ExitCodesInHelp)
@click.option("--free", "free_only", is_flag=True, help="Only free models.")
@click.option(
    "--capability",
    type=click.Choice([c.value for c in Capability]),
    help="Only models with this capability.",
)
@click.option("--provider", help="Only this provider's models.")
@click.option("--offline", is_flag=True, help="Do not scan; list the cache and snapshot.")
@click.option("--explain", is_flag=True, help="Also say what each provider's free tier costs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def models(
    state: State,
    free_only: bool,
    capability: str | None,
    provider: str | None,
    offline: bool,
    explain: bool,
    as_json: bool,
) -> None:
    """List the catalog (scanning providers that are due first, unless --offline).

    \b
    Examples:
      neoclone models --free
      neoclone models --free --explain
      neoclone models --capability vision --json
    """
    from neoclone_core.discover.serialize import model_to_dict

    async def work(neoclone: Neoclone) -> tuple[list[Any], dict[str, FreeTier]]:
        if provider is not None and provider not in neoclone.provider_names:
            installed = ", ".join(neoclone.provider_names) or "none"
            msg = f"no provider {provider!r} is installed (installed: {installed})"
            raise click.BadParameter(msg, param_hint="'--provider'")
        if not offline:
            await scan_due(neoclone, state)
        found = neoclone.models(free_only=free_only, capability=capability, provider=provider)
        return found, neoclone.free_tiers()

    found, tiers = run_with(state, work)
    listed = {name: tier for name, tier in tiers.items() if any(m.provider == name for m in found)}
    if as_json:
        if explain:
            print_json({"models": [model_to_dict(m) for m in found], "free_tiers": _json(listed)})
        else:
            print_json([model_to_dict(m) for m in found])
        return
    from rich.table import Column, Table

    from neoclone_core.discover.snapshot import snapshot_built, snapshot_date
    from neoclone_core.models import Source

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
            f"snapshot: the catalog bundled with neoclone, recorded {snapshot_date()}"
            f" (rebuilt {snapshot_built()}); `neoclone discover` refreshes it"
        )
    for m in found:
        context = f"{m.context_length:,}" if m.context_length else "?"
        capabilities = ", ".join(sorted(c.value for c in m.capabilities))
        table.add_row(m.id, context, capabilities, "yes" if m.free else "no", m.source.value)
    console().print(table)
    if explain:
        console().print(free_tier_table(listed))


def free_tier_table(tiers: Mapping[str, FreeTier]) -> Table:
    """What each provider's free tier gives and costs the user, with its source."""
    from rich.table import Column, Table

    table = Table(
        "provider",
        "free tier",
        Column("limits", overflow="fold"),
        Column("what it costs you", overflow="fold"),
        Column("source (read on)", overflow="fold"),
        title="free tiers",
    )
    for name, tier in tiers.items():
        terms = "; ".join(tier.terms) or "nothing stated"
        table.add_row(name, str(tier.access), tier.limits, terms, f"{tier.source} ({tier.checked})")
    return table


def _json(tiers: Mapping[str, FreeTier]) -> dict[str, Any]:
    return {name: {**attrs.asdict(t), "access": t.access.value} for name, t in tiers.items()}


@click.command(cls=ExitCodesInHelp)
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
            neoclone.clear_cache()
        return {**neoclone.get_cache_stats(), "store": str(neoclone.store_path)}

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


@click.command(cls=ExitCodesInHelp)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def plugins(state: State, as_json: bool) -> None:
    """List installed plugins, their hooks and providers.

    \b
    Examples:
      neoclone plugins
      NEOCLONE_DISABLE_PLUGINS=default-scoring neoclone plugins
    """
    from neoclone_core.config import load_settings
    from neoclone_core.plugins import build_plugins
    from neoclone_core.provider import free_tier_of

    with reported_errors(state):
        settings = load_settings(state.config)
        loaded = build_plugins(disabled=settings.disabled_plugins)
        providers = loaded.providers()
    infos = sorted(loaded.infos.values(), key=lambda i: i.name)
    declared = {name: free_tier_of(p) for name, p in sorted(providers.items())}
    tiers = {name: tier for name, tier in declared.items() if tier is not None}
    if as_json:
        print_json(
            {
                "plugins": [attrs.asdict(i) for i in infos],
                "providers": sorted(providers),
                "free_tiers": _json(tiers),
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
    if tiers:
        out.print(free_tier_table(tiers))
    if settings.disabled_plugins:
        out.print(f"disabled: {', '.join(settings.disabled_plugins)}")
