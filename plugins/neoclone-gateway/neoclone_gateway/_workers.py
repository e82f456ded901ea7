"""`neoclone serve --workers N`: N processes serving one port, so the gateway uses every
core (one Python process runs on one).

The parent binds the port (so `--port 0` is known and printed once, and a port already
taken fails before anything starts), opens neoclone once to scan the providers that
are due and check the sessions, closes it, and forks the workers. Each worker opens a
`Neoclone` of its own on the same store (the embedded SQLite file, or Redis) and serves
the inherited socket under uvicorn; the kernel hands each new connection to one of them.
Forking after the scan, before any event loop or thread runs, leaves nothing half-held
in the children.

The parent then only waits. SIGTERM or SIGINT to it is passed on to every worker as
SIGTERM, a graceful stop: each drains its requests, closes its neoclone (writing its
statistics) and exits 0; the parent exits 0 once all have (130 after SIGINT, as a
single process does). A worker that dies on its own stops the others, and the command
fails: a process manager restarting the whole gateway is clearer than a gateway that
shrinks silently.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import structlog

from neoclone_core import Neoclone, redact
from neoclone_gateway._options import GatewayOptions
from neoclone_gateway._serve import (
    STOPPING_SIGNALS,
    announce_address,
    event_loop_options,
    listening,
    serve_on,
)

log = structlog.get_logger("neoclone")
WORKER_HEADER = b"neoclone-worker"
_INTERRUPTED = 130  # what a shell reports for SIGINT, as the single process exits


def serve_workers(
    open_neoclone: Callable[[], Neoclone],
    *,
    host: str,
    port: int,
    workers: int,
    options: GatewayOptions,
    sessions: Mapping[str, Sequence[str]],
    offline: bool,
    verbose: int,
) -> int:
    """Serve with `workers` processes until stopped (see the module doc); the exit code."""
    with listening(host, port) as sock:
        models = anyio.run(_prepare, open_neoclone(), sessions, not offline)
        announce_address(sock, host, models, options, workers)
        serve = functools.partial(
            serve_on, sock=sock, options=options, sessions=sessions, scan=False,
            verbose=verbose,
        )  # fmt: skip
        stopping: list[int] = []  # the signal that stopped the gateway, once one has
        children: dict[int, int] = {}  # pid: worker number

        def stop(signum: int, frame: object) -> None:
            stopping.append(signum)
            _signal_all(children)

        previous = {sig: signal.signal(sig, stop) for sig in STOPPING_SIGNALS}
        try:
            for number in range(1, workers + 1):
                # Blocked across the fork: the worker inherits them blocked until its
                # server can take them (`_serve`), and the parent's handler runs after.
                signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING_SIGNALS)
                try:
                    children[_fork(number, open_neoclone, serve)] = number
                finally:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING_SIGNALS)
                if stopping:  # the handler has signalled those started
                    break
            return _wait(children, stopping)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


async def _prepare(neoclone: Neoclone, sessions: Mapping[str, Sequence[str]], scan: bool) -> int:
    """Scan once for all workers and check the sessions; how many models are known."""
    async with neoclone:
        if scan:
            await neoclone.discover()
        for name, models in sessions.items():
            await neoclone.create_session(name, models[0], models[1:])
        return len(neoclone.models())


def _fork(number: int, open_neoclone: Callable[[], Neoclone], serve: Any) -> int:
    """Start worker `number`; its pid (in the parent: the worker never returns)."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        for sig in STOPPING_SIGNALS:  # the parent's handlers are not the worker's
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        wrap = functools.partial(WorkerHeader, number=number)
        gateway = functools.partial(serve, open_neoclone(), wrap=wrap)
        anyio.run(gateway, backend_options=event_loop_options())
        code = 0
    except KeyboardInterrupt:
        code = _INTERRUPTED
    except BaseException as exc:  # nothing may unwind into the parent's code
        # No traceback: one raised before the worker knew its keys could show one.
        error = f"{type(exc).__name__}: {redact(str(exc))}"
        log.error("neoclone.gateway_worker_failed", worker=number, error=error)  # noqa: TRY400
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(children: dict[int, int], stopping: list[int]) -> int:
    """Wait for every worker to exit; the gateway's exit code."""
    codes: list[int] = []
    while children:
        pid, status = os.waitpid(-1, 0)  # retried after a signal's handler ran
        number = children.pop(pid, None)
        if number is None:
            continue
        codes.append(os.waitstatus_to_exitcode(status))
        if not stopping:
            log.error("neoclone.gateway_worker_exited", worker=number, exit_code=codes[-1])
            stopping.append(0)
            _signal_all(children)
    if stopping[0] == signal.SIGINT:
        return _INTERRUPTED
    return 0 if stopping[0] == signal.SIGTERM and not any(codes) else 1


def _signal_all(children: Mapping[int, int]) -> None:
    """SIGTERM to every worker still running."""
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError):  # exited: `_wait` collects it
            os.kill(pid, signal.SIGTERM)


class WorkerHeader:
    """ASGI middleware naming the worker that answered in a `neoclone-worker` header:
    which process served what, when several do."""

    def __init__(self, app: Any, *, number: int) -> None:
        self.app = app
        self.header = (WORKER_HEADER, str(number).encode())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), self.header]}
            await send(message)

        await self.app(scope, receive, named)
