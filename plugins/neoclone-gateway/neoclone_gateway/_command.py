"""`neoclone serve`, the command this plugin adds to `neoclone`: its options, and the
checks made before anything listens (where it may listen, the sessions it serves)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

import click

from neoclone_core.cli.support import ExitCodesInHelp, State, reported_errors
from neoclone_gateway._transport import TRANSPORTS, check_transport, upstream_transport

if TYPE_CHECKING:
    from neoclone_core import Neoclone


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


@click.command(cls=ExitCodesInHelp)
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
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes serving the port, sharing the store (one per core uses them all).",
)
@click.option(
    "--transport",
    type=click.Choice(TRANSPORTS),
    default="httpx",
    show_default=True,
    help="How upstream calls are sent: httpx's pool, or aiohttp's (the aiohttp extra).",
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
    workers: int,
    transport: str,
    offline: bool,
) -> None:
    """Serve OpenAI's and Anthropic's APIs (/v1/chat/completions, /v1/responses,
    /v1/messages, /v1/models, /health, /metrics): point any OpenAI or Anthropic
    client's base URL at it. Listens on loopback unless
    told otherwise; any other address needs $NEOCLONE_GATEWAY_KEY, which clients then
    send as their API key.

    \b
    Examples:
      neoclone serve
      neoclone serve --port 8080 --session coding=groq/qwen/qwen3-32b,mistral/codestral-latest
      NEOCLONE_GATEWAY_KEY=$(openssl rand -hex 24) neoclone serve --host 0.0.0.0
      neoclone serve --workers 2 --transport aiohttp
    """
    from neoclone_gateway import GatewayOptions, check_bind

    plans = _sessions(sessions)
    with reported_errors(state):
        options = GatewayOptions.from_env(
            os.environ, max_body_bytes=max_body, max_concurrency=max_concurrency
        )
        check_bind(host, options.key)
        check_transport(transport)
        open_neoclone = functools.partial(_open, state, transport)
        if workers > 1:
            from neoclone_gateway._workers import serve_workers

            code = serve_workers(
                open_neoclone, host=host, port=port, workers=workers, options=options,
                sessions=plans, offline=offline, verbose=state.verbose,
            )  # fmt: skip
            if code:
                raise SystemExit(code)
            return
        import anyio

        from neoclone_gateway._serve import event_loop_options
        from neoclone_gateway._serve import serve as run_gateway

        gateway = functools.partial(
            run_gateway,
            open_neoclone(),
            host=host,
            port=port,
            options=options,
            sessions=plans,
            offline=offline,
            verbose=state.verbose,
        )
        anyio.run(gateway, backend_options=event_loop_options())


def _open(state: State, transport: str) -> Neoclone:
    """A Neoclone from the config, its upstream calls sent through `transport`."""
    from neoclone_core import Neoclone
    from neoclone_core.config import load_settings

    return Neoclone(load_settings(state.config), transport=upstream_transport(transport))
