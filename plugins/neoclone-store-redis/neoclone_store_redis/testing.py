"""A real `redis-server` for tests: started on a free loopback port, without
persistence, and stopped when the test ends.

Usage::

    from neoclone_store_redis.testing import RedisServer

    with RedisServer() as server:  # skip the test first if not RedisServer.installed()
        state = RedisState.connect(server.url)
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from neoclone_core.testing.helpers import free_port, stop_process
from neoclone_core.testing.service import StartStop

__all__ = ["RedisServer"]

_HOST = "127.0.0.1"
_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
_TRIES = 3  # a free port may be taken between choosing it and redis binding it


class RedisServer(StartStop):
    """One `redis-server` process on 127.0.0.1 (see the module doc)."""

    def __init__(self, *options: str, binary: str = "redis-server") -> None:
        self.binary = binary
        self.options = options  # more redis-server options, such as "--requirepass", "pw"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def installed(binary: str = "redis-server") -> bool:
        """Whether the server binary is on PATH."""
        return shutil.which(binary) is not None

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:<port>/0`."""
        return f"redis://{_HOST}:{self.port}/0"

    def start(self) -> RedisServer:
        """Start the server on a free port and wait until it answers PING."""
        for _ in range(_TRIES):
            self.port = free_port()
            if self._launch():
                return self
        msg = f"{self.binary} did not start on {_HOST}"
        raise RuntimeError(msg)

    def restart(self) -> None:
        """Start it again on the same port, empty (after `stop`, to end an outage)."""
        if not self._launch():
            msg = f"{self.binary} did not start again on {_HOST}:{self.port}"
            raise RuntimeError(msg)

    def _launch(self) -> bool:
        options = ["--bind", _HOST, "--save", "", "--appendonly", "no", "--daemonize", "no"]
        self._process = subprocess.Popen(
            [self.binary, "--port", str(self.port), *options, *self.options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if self._wait_ready():
            return True
        self.stop()
        return False

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL if it lingers)."""
        process, self._process = self._process, None
        if process is None:
            return
        stop_process(process, _STOP_TIMEOUT_S)

    def client(self, password: str | None = None) -> redis.Redis:
        """A plain client of this server, strings decoded (close it after use)."""
        return redis.Redis(
            host=_HOST,
            port=self.port,
            password=password,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),
        )

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False  # it exited: most likely the port was taken
            if self._answers():
                return True
            time.sleep(0.02)
        return False

    def _answers(self) -> bool:
        no_retries = Retry(NoBackoff(), 0)  # redis-py's default retries wait seconds
        with redis.Redis(
            host=_HOST, port=self.port, socket_timeout=0.5, retry=no_retries
        ) as client:
            try:
                return bool(client.ping())
            except redis.AuthenticationError:
                return True  # a server started with --requirepass: up, refusing us
            except redis.RedisError:
                return False


def running_redis_server() -> Iterator[RedisServer]:
    """A started `RedisServer` for a pytest fixture to yield (`yield from`), stopped after;
    the test is skipped, saying what to install, where Debian's redis-server is missing."""
    import pytest

    if not RedisServer.installed():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisServer() as server:
        yield server
