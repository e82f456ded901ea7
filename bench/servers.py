"""The processes a comparison runs beside its workers: the fake upstream, the neoclone
gateway (`neoclone serve`) and the LiteLLM proxy, each started on a free loopback port
and stopped (SIGTERM, then SIGKILL) when the comparison ends.

A server that cannot run here is reported, not fatal: `Unavailable` says why (no
`serve` command yet, LiteLLM not installed, a start that failed, with the end of its
log), and the comparison goes on without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"
KEY_ENV = "BENCH_API_KEY"
START_TIMEOUT_S = 90.0


class Unavailable(Exception):
    """A contender that cannot run on this machine, and why (one line)."""


class Server:
    """A server process on loopback: its URL, how long it took to answer, its logs."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.name, self.process, self.log = name, process, log
        self.url = ""
        self.startup_s = 0.0

    def peak_rss_mib(self) -> float | None:
        """The high-water mark of resident memory of the process and its children."""
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        return total / 1024 if total else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self, lines: int = 8) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    pids = [int(p) for p in found]
    return pids + [c for p in pids for c in _children(p)]


def _start(name: str, command: list[str], workdir: Path, env: Mapping[str, str]) -> Server:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=workdir,
            start_new_session=True,  # a Ctrl-C of the harness does not reach it twice
        )
    return Server(name, process, log)


def _wait_http(server: Server, url: str, headers: Mapping[str, str] | None = None) -> None:
    """Wait until `url` answers 200; Unavailable (with the log's end) if it never does."""
    started = time.perf_counter()
    deadline = started + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            msg = f"{server.name} exit status {server.process.returncode}: {server.log_tail(3)}"
            raise Unavailable(msg)
        request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(request, timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                server.startup_s = time.perf_counter() - started
                return
        time.sleep(0.05)
    server.stop()
    msg = f"{server.name} did not answer within {START_TIMEOUT_S:.0f}s: {server.log_tail(3)}"
    raise Unavailable(msg)


def _wait_line(server: Server, prefix: str) -> str:
    """The first line of the server's log starting with `prefix`."""
    deadline = time.perf_counter() + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        for line in server.log.read_text(errors="replace").splitlines():
            if line.startswith(prefix):
                return line
        if server.process.poll() is not None:
            msg = f"{server.name} exit status {server.process.returncode}: {server.log_tail(3)}"
            raise Unavailable(msg)
        time.sleep(0.02)
    server.stop()
    msg = f"{server.name} printed no {prefix!r} line within {START_TIMEOUT_S:.0f}s"
    raise Unavailable(msg)


# -- the upstream -----------------------------------------------------------------------


def start_upstream(workdir: Path, failing_models: int) -> Server:
    """The fake upstream (`upstream.py`), listing `failing_models` models failing-<i>."""
    command = [sys.executable, str(BENCH / "upstream.py"), "--failing-models", str(failing_models)]
    server = _start("upstream", command, workdir, os.environ)
    started = time.perf_counter()
    port = _wait_line(server, "READY ").split()[1]
    server.url = f"http://{HOST}:{port}"
    server.startup_s = time.perf_counter() - started
    return server


# -- the neoclone gateway ---------------------------------------------------------------


def neoclone_serve_available() -> str:
    """ "" when `neoclone serve --help` works here, else why not."""
    command = [sys.executable, "-m", "neoclone_core", "serve", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode == 0:
        return ""
    last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    return f"`neoclone serve --help` failed ({last[0]})"


def _installed_plugins() -> list[str]:
    """The names of the neoclone plugins installed in this environment."""
    from importlib.metadata import entry_points

    return sorted({ep.name for ep in entry_points(group="neoclone")})


def start_gateway(
    workdir: Path,
    upstream: str,
    api_key: str,
    *,
    name: str = "neoclone-gateway",
    last_resort: bool = True,
    workers: int = 1,
    transport: str = "httpx",
) -> Server:
    """`neoclone serve --workers N --transport T` over the bench provider alone, pointed
    at the upstream (with `local_fallback = false` in its config unless `last_resort`).

    The bench provider becomes an installed plugin for this process only: a
    `.dist-info` naming it in the `neoclone` entry-point group, on its PYTHONPATH. Every
    other installed plugin but the default policies is disabled in its config, so it
    scans nothing beyond loopback.
    """
    if why := neoclone_serve_available():
        raise Unavailable(why)
    site = workdir / "gateway-site"
    dist = site / "neoclone_bench_provider-0.0.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: neoclone-bench-provider\nVersion: 0.0.0\n"
    )
    (dist / "entry_points.txt").write_text("[neoclone]\nbench = bench_provider\n")
    others = [p for p in _installed_plugins() if not p.startswith("default-") and p != "bench"]
    config = workdir / f"{name}.toml"
    config.write_text(
        f"disabled_plugins = {json.dumps(others)}\n"
        f"local_fallback = {str(last_resort).lower()}\n\n"
        f'[providers.bench]\nbase_url = "{upstream}/v1"\napi_key_env = "{KEY_ENV}"\n'
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(BENCH)]),
        "NEOCLONE_CONFIG": str(config),
        "NEOCLONE_HOME": str(workdir / f"{name}-home"),
        KEY_ENV: api_key,
    }
    env.pop("NEOCLONE_GATEWAY_KEY", None)  # loopback, no key: as a developer runs it
    command = [
        sys.executable, "-m", "neoclone_core", "serve", "--host", HOST, "--port", "0",
        "--workers", str(workers), "--transport", transport,
    ]  # fmt: skip
    server = _start(name, command, workdir, env)
    started = time.perf_counter()
    line = _wait_line(server, "neoclone gateway on ")
    server.url = line.split()[3].removesuffix("/v1")
    _wait_http(server, f"{server.url}/v1/models")
    server.startup_s = time.perf_counter() - started
    return server


# -- the LiteLLM proxy ------------------------------------------------------------------


def litellm_available() -> str:
    """ "" when LiteLLM is installed, else why not."""
    try:
        from importlib.metadata import version

        version("litellm")
    except Exception:
        return 'LiteLLM is not installed (pip install -e ".[bench]")'
    return ""


def litellm_proxy_config(upstream: str, api_key: str, master_key: str) -> str:
    """The proxy's config, the Router's equivalent: `failing` falls back to `primary`,
    no retries, cooldowns disabled. JSON is YAML, so no YAML writer is needed."""
    from workload import litellm_deployment

    config = {
        "model_list": [
            litellm_deployment(m, f"{upstream}/v1", api_key) for m in ("primary", "failing")
        ],
        "router_settings": {
            "num_retries": 0,
            "disable_cooldowns": True,
            "fallbacks": [{"failing": ["primary"]}],
        },
        "general_settings": {"master_key": master_key},
    }
    return json.dumps(config, indent=1)


def start_litellm_proxy(
    workdir: Path, upstream: str, api_key: str, *, name: str = "litellm-proxy", workers: int = 1
) -> tuple[Server, str]:
    """The LiteLLM proxy (its `litellm` command, `workers` workers, defaults otherwise)
    and the master key clients must send (the proxy refuses to start without one)."""
    if why := litellm_available():
        raise Unavailable(why)
    executable = shutil.which("litellm", path=str(Path(sys.executable).parent))
    if executable is None:
        msg = 'the `litellm` command is not installed (pip install -e ".[bench]")'
        raise Unavailable(msg)
    master_key = "sk-bench-" + secrets.token_hex(16)
    config = workdir / f"{name}.yaml"
    config.write_text(litellm_proxy_config(upstream, api_key, master_key))
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    port = _free_port()
    command = [
        executable, "--config", str(config), "--host", HOST, "--port", str(port),
        "--num_workers", str(workers),
    ]  # fmt: skip
    server = _start(name, command, workdir, env)
    server.url = f"http://{HOST}:{port}"
    _wait_http(server, f"{server.url}/health/liveliness")
    return server, master_key


# -- the bare endpoint -----------------------------------------------------------------


def start_bare(
    workdir: Path, upstream: str, api_key: str, *, name: str = "bare-endpoint", workers: int = 1
) -> Server:
    """The bare forwarding endpoint (`bare.py`), `workers` uvicorn workers."""
    port = _free_port()
    command = [
        sys.executable, str(BENCH / "bare.py"), "--upstream", upstream, "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip
    server = _start(name, command, workdir, {**os.environ, KEY_ENV: api_key})
    server.url = f"http://{HOST}:{port}"
    _wait_http(server, f"{server.url}/health")
    return server


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    """Stop every server in `servers` (filled in by the block) on the way out."""
    try:
        yield servers
    finally:
        for server in reversed(servers):
            server.stop()
