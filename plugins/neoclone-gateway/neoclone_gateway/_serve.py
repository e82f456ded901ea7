"""`neoclone serve`: open neoclone, scan the providers that are due, create the
sessions, and serve the gateway under uvicorn until SIGINT or SIGTERM; then close
neoclone, which writes the buffered statistics.

Logs go through the CLI's structlog configuration plus one more processor that
replaces the exact keys neoclone holds (the provider keys and the gateway's own): the
CLI's processor only knows what keys usually look like, and a key of an unusual shape
must not reach a log either. uvicorn's own loggers (and asyncio's) get the same
treatment, tracebacks included.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import anyio
import structlog

from neoclone_core import Neoclone, Secret, redact
from neoclone_core.errors import NeocloneError
from neoclone_gateway._app import create_app, secrets_to_redact
from neoclone_gateway._head import bounded_protocol
from neoclone_gateway._options import GatewayOptions

_GRACEFUL_SHUTDOWN_S = 5  # streams still open then are cancelled (and closed upstream)
_BACKLOG = 2048  # uvicorn's default
STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGINT)
log = structlog.get_logger("neoclone")


async def serve(
    neoclone: Neoclone,
    *,
    host: str,
    port: int,
    options: GatewayOptions,
    sessions: Mapping[str, Sequence[str]],
    offline: bool,
    verbose: int,
) -> None:
    """Serve in this process until stopped; `neoclone` is closed at the end (run it with
    `anyio.run`). `_workers` runs several processes instead."""
    # Bound before the scan, so a port already taken fails at once, not after it.
    with listening(host, port) as sock:
        await serve_on(
            neoclone, sock, options=options, sessions=sessions, scan=not offline,
            verbose=verbose, announce=host,
        )  # fmt: skip


async def serve_on(
    neoclone: Neoclone,
    sock: socket.socket,
    *,
    options: GatewayOptions,
    sessions: Mapping[str, Sequence[str]],
    scan: bool,
    verbose: int,
    announce: str | None = None,
    wrap: Callable[[Any], Any] | None = None,
) -> None:
    """Serve on the listening `sock` until stopped, then close `neoclone`: scan first if
    `scan`, announce the address (as `announce`, the host asked for) when given, and
    serve the app through `wrap` when given."""
    import uvicorn

    async with neoclone:
        if scan:
            await neoclone.discover()
        for name, models in sessions.items():
            await neoclone.create_session(name, models[0], models[1:])
        app: Any = create_app(neoclone, options)
        if wrap is not None:
            app = wrap(app)
        secrets = secrets_to_redact(neoclone, options)
        redact_logs(secrets)
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_level="info" if verbose else "warning",
            access_log=verbose > 0,
            server_header=False,
            timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
            http=bounded_protocol(options.max_head_bytes, options.max_headers),
        )
        redact_uvicorn_logs(secrets)
        if announce is not None:
            announce_address(sock, announce, len(neoclone.models()), options)
        async with anyio.create_task_group() as group:
            group.start_soon(_refresh, neoclone, options.refresh_s)
            await _graceful_server()(config).serve(sockets=[sock])
            group.cancel_scope.cancel()


def event_loop_options() -> dict[str, Any]:
    """anyio's options for the gateway's event loop: uvloop's when it is installed (as
    uvicorn's own `--loop auto` chooses), asyncio's otherwise. uvloop takes about a
    quarter off the CPU each request costs the server (docs/benchmarks.md)."""
    import os

    if os.environ.get("XX_NO_UVLOOP"):
        return {}
    return {"use_uvloop": True} if importlib.util.find_spec("uvloop") else {}


def _graceful_server() -> type[Any]:
    """uvicorn's Server class with SIGTERM taken as a graceful stop (uvicorn is imported
    here, when the gateway runs, not when the plugin loads)."""
    import uvicorn

    class GracefulServer(uvicorn.Server):
        """uvicorn re-raises the signal that stopped it once it has shut down. For
        SIGINT that is a KeyboardInterrupt, which closes neoclone on its way out (exit
        130); for SIGTERM, what every process manager sends, it killed the process
        (exit 143) before neoclone could write its buffered statistics and state. Here
        SIGTERM ends the server like a request to stop: in-flight requests drain within
        the graceful period, neoclone closes, and the command exits 0."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                # A worker starts with these blocked (`_workers`): one sent while it
                # started arrives now, to a handler that stops it gracefully.
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING_SIGNALS)
                yield
                captured = getattr(self, "_captured_signals", [])
                captured[:] = [sig for sig in captured if sig != signal.SIGTERM]

    return GracefulServer


def listening(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` and listening, before uvicorn takes it over, so
    the port really bound is known (`--port 0`) and no connection is refused meanwhile."""
    sock: socket.socket | None = None
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        family, kind, proto, _, address = info
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(_BACKLOG)
    except OSError as exc:
        if sock is not None:
            sock.close()
        msg = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        raise NeocloneError(msg) from exc
    return sock


def announce_address(
    sock: socket.socket, host: str, models: int, options: GatewayOptions, workers: int = 1
) -> None:
    """One line on stderr saying where the gateway listens (the port really bound)."""
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    guard = "key required" if options.key else "no key (loopback only)"
    processes = f", {workers} workers" if workers > 1 else ""
    sys.stderr.write(
        f"neoclone gateway on http://{shown}:{port}/v1 ({models} models, {guard}{processes})\n"
    )
    sys.stderr.flush()


async def _refresh(neoclone: Neoclone, every_s: float) -> None:
    """Rescan the providers whose scan is due, every `every_s` seconds. A rescan that
    fails (the store locked by another process past its timeout, say) is logged and
    tried again next time: the gateway keeps serving from the catalog it has."""
    while True:
        await anyio.sleep(every_s)
        try:
            await neoclone.discover()
        except Exception as exc:  # anything: it must not stop the server
            log.warning("neoclone.gateway_refresh_failed", error=f"{type(exc).__name__}: {exc}")


def redact_logs(secrets: Sequence[Secret | None]) -> None:
    """Add a processor replacing `secrets` to the structlog configuration in force."""
    processors = list(structlog.get_config()["processors"])

    def redact_secrets(
        _: Any, __: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        return {k: redact(v, secrets) if isinstance(v, str) else v for k, v in event.items()}

    processors.insert(max(0, len(processors) - 1), redact_secrets)  # before the renderer
    structlog.configure(processors=processors)


class _RedactingFilter(logging.Filter):
    """Redacts a record's message, its arguments and its traceback. The traceback is
    rendered here, redacted, and kept as the record's `exc_text`, which formatters print
    as it is: an exception whose text holds a key (uvicorn logs every exception that
    escapes the app, with its traceback) never reaches a handler with the key in it."""

    def __init__(self, secrets: Sequence[Secret | None]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        # Arguments are redacted one by one: uvicorn's access formatter reads them.
        if isinstance(record.msg, str):
            record.msg = redact(record.msg, self.secrets)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(a, self.secrets) if isinstance(a, str) else a for a in record.args
            )
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


_TRACEBACKS = logging.Formatter()  # renders tracebacks as every formatter does
_REDACTED_LOGGERS = ("uvicorn.error", "uvicorn.access", "asyncio")  # asyncio: callbacks'


def redact_uvicorn_logs(secrets: Sequence[Secret | None]) -> list[tuple[str, logging.Filter]]:
    """Add a filter replacing `secrets` to uvicorn's and asyncio's loggers; each logger's
    name and the filter added to it."""
    added: list[tuple[str, logging.Filter]] = []
    for name in _REDACTED_LOGGERS:
        added.append((name, _RedactingFilter(secrets)))
        logging.getLogger(name).addFilter(added[-1][1])
    return added
