"""What the gateway's tests share: a fake OpenRouter on a RecordingServer whose every
model answers by its own script, keys planted to be looked for, and `neoclone serve`
run as a real process.

The keys are deliberately of no vendor's shape, so `redact`'s patterns do not catch
them: if one is missing from a response, a log or a metric, it is because the gateway
replaced that exact key.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from neoclone_core import (
    EnginePolicy,
    Neoclone,
    ProviderSettings,
    RetryPolicy,
    Settings,
    build_plugins,
)
from neoclone_core.testing import RecordedRequest, RecordingServer, Reply, completion_chunk
from neoclone_core.testing.helpers import run_neoclone, stop_process

PLANTED_KEY = "plantedUpstreamKey-0123456789abcdef"  # the provider key neoclone sends
GATEWAY_KEY = "gatewayKEY-for-tests-0123456789"  # the key clients send the gateway
KEY_ENV = "TEST_OPENROUTER_KEY"
NAMES: tuple[str, ...] = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
)
NAMES += ("kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "qwen-coder")
CHAT = "/api/v1/chat/completions"


def model_id(name: str) -> str:
    """The catalog id of one of the fake models."""
    return f"openrouter/vendor/{name}:free"


def listing() -> dict[str, Any]:
    """OpenRouter's `GET /models`, with a free text model for each name."""
    return {
        "data": [
            {
                "id": f"vendor/{name}:free",
                "name": name,
                "context_length": 32768,
                "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
                "pricing": {"prompt": "0", "completion": "0"},
                "supported_parameters": ["tools", "temperature"],
            }
            for name in NAMES
        ]
    }


def answer(text: str, **usage: int) -> Reply:
    """A whole completion saying `text`."""
    message = {"role": "assistant", "content": text}
    body: dict[str, Any] = {"id": "u-1", "choices": [{"index": 0, "message": message}]}
    body["choices"][0]["finish_reason"] = "stop"
    if usage:
        body["usage"] = usage
    return Reply(body=body)


def tokens(*pieces: str, **fields: Any) -> Reply:
    """A stream of `pieces`, one chunk each, then the finish chunk and `[DONE]`."""
    chunks = [completion_chunk(piece) for piece in pieces]
    return Reply.sse([*chunks, completion_chunk("", "stop")], **fields)


def called(name: str, arguments: str, call_id: str = "call_1") -> Reply:
    """A whole completion calling function `name` (OpenAI's chat-completion object with
    `tool_calls`, as OpenAI's API reference shows it)."""
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    choice = {"index": 0, "message": message, "finish_reason": "tool_calls"}
    return Reply(body={"id": "u-1", "choices": [choice]})


def calling(name: str, *arguments: str, call_id: str = "call_1") -> Reply:
    """A stream calling function `name`, in OpenAI's documented stream shape: the first
    piece names the call, the next ones carry its arguments, the last chunk says why the
    model stopped."""

    def piece(**call: Any) -> dict[str, Any]:
        chunk = completion_chunk("")
        chunk["choices"][0]["delta"] = {"tool_calls": [{"index": 0, **call}]}
        return chunk

    first = piece(id=call_id, type="function", function={"name": name, "arguments": ""})
    pieces = [piece(function={"arguments": part}) for part in arguments]
    return Reply.sse([first, *pieces, completion_chunk("", "tool_calls")])


def failure(status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    """An upstream error in OpenAI's shape."""
    return Reply(status=status, headers=dict(headers or {}), body={"error": {"message": message}})


class Upstream:
    """A fake OpenRouter: lists `NAMES`; each model answers with its script, in order
    (the last reply repeats), or with "answer from <name>" when it has none."""

    def __init__(self, server: RecordingServer) -> None:
        self.server = server
        self._lock = threading.Lock()
        self._scripts: dict[str, tuple[Reply, ...]] = {}
        self._calls: Counter[str] = Counter()
        self._arrived: dict[str, threading.Event] = {}
        server.route("GET", "/api/v1/models", Reply(body=listing()))
        server.route("POST", CHAT, self._reply)

    @property
    def base_url(self) -> str:
        """What neoclone's config names as OpenRouter's base URL."""
        return self.server.url + "/api/v1"

    def script(self, name: str, *replies: Reply) -> None:
        """How model `name` answers from now on."""
        with self._lock:
            self._scripts[f"vendor/{name}:free"] = replies
            self._calls[f"vendor/{name}:free"] = 0

    def calls(self, name: str) -> int:
        """How many chat calls model `name` received since its script was set."""
        with self._lock:
            return self._calls[f"vendor/{name}:free"]

    def arrival(self, name: str) -> threading.Event:
        """Set once model `name` receives a chat call."""
        with self._lock:
            return self._arrived.setdefault(f"vendor/{name}:free", threading.Event())

    def requests(self, name: str) -> list[RecordedRequest]:
        """The chat requests model `name` received."""
        wanted = f"vendor/{name}:free"
        return [r for r in self.server.requests if r.path == CHAT and r.json()["model"] == wanted]

    def _reply(self, request: RecordedRequest) -> Reply:
        body = request.json()
        model = body["model"]
        with self._lock:
            index = self._calls[model]
            self._calls[model] += 1
            script = self._scripts.get(model)
            self._arrived.setdefault(model, threading.Event()).set()
        if script:
            return script[min(index, len(script) - 1)]
        name = model.removeprefix("vendor/").removesuffix(":free")
        return (
            tokens("answer ", "from ", name)
            if body.get("stream")
            else answer(f"answer from {name}")
        )


def other_plugins() -> list[str]:
    """Every installed neoclone plugin but OpenRouter, the Redis store and the default
    policies: what a test gateway disables, so that no real provider is scanned."""
    kept = {"openrouter", "store-redis"}
    names = {ep.name for ep in importlib.metadata.entry_points(group="neoclone")}
    return sorted(n for n in names - kept if not n.startswith("default-"))


def open_neoclone(
    home: Path, upstream: Upstream, *, store: str | None = None, retries: bool = False
) -> Neoclone:
    """A `Neoclone` in process whose only provider is OpenRouter pointed at `upstream`
    (with the Redis store plugin when `store` names one); no retries unless asked, so
    that a test counts one upstream call per attempt."""
    import neoclone_provider_openrouter

    from neoclone_core.default_plugins import default_policies

    extra: list[tuple[str, object]] = [
        *default_policies(),
        ("openrouter", neoclone_provider_openrouter),
    ]
    if store:
        import neoclone_store_redis

        extra.append(("store-redis", neoclone_store_redis))
    provider = ProviderSettings(base_url=upstream.base_url, api_key_env=KEY_ENV)
    settings = Settings(
        home=home, providers={"openrouter": provider}, request_timeout=10, store=store
    )
    policy = None if retries else EnginePolicy(retry=RetryPolicy(max_retries=0))
    return Neoclone(
        settings,
        plugins=build_plugins(entry_points=False, extra=extra),
        env={KEY_ENV: PLANTED_KEY},
        policy=policy,
    )


def write_config(directory: Path, upstream: Upstream | str, *, store: str | None = None) -> Path:
    """A neoclone.toml pointing OpenRouter at `upstream` (or at that base URL), every
    other plugin off."""
    base_url = upstream if isinstance(upstream, str) else upstream.base_url
    lines = [
        f'home = "{directory / "home"}"',
        "local_fallback = false",
        f"disabled_plugins = {other_plugins()!r}".replace("'", '"'),
        *([f'store = "{store}"'] if store else []),
        "[providers.openrouter]",
        f'base_url = "{base_url}"',
        f'api_key_env = "{KEY_ENV}"',
    ]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "neoclone.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


_LISTENING = re.compile(r"neoclone gateway on (http://\S+)/v1")
_START_TIMEOUT_S = 60.0  # a bound on a hung start, not a measurement


class GatewayProcess:
    """`neoclone serve --port 0` in a subprocess; `url` once it listens, `logs` its
    stderr and stdout so far."""

    def __init__(self, config: Path, *, env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.env = {
            **os.environ,
            "NEOCLONE_CONFIG": str(config),
            KEY_ENV: PLANTED_KEY,
            "NO_COLOR": "1",
            **(env or {}),
        }
        self.url = ""
        self._lines: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._readers: list[threading.Thread] = []

    @property
    def pid(self) -> int:
        """The server's process id (ValueError when it is not running)."""
        if self._process is None:
            msg = "the gateway is not running"
            raise ValueError(msg)
        return self._process.pid

    @property
    def logs(self) -> str:
        """Everything the process printed, on either stream."""
        return "".join(self._lines)

    def start(self, *args: str) -> GatewayProcess:
        """Start it and wait until it listens (RuntimeError with its output if it exits)."""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "neoclone_core", "-v", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.config.parent,
        )
        for stream in (self._process.stdout, self._process.stderr):
            reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
            reader.start()
            self._readers.append(reader)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not (found := _LISTENING.search(self.logs)):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the gateway did not start:\n{self.logs}")
            time.sleep(0.02)
        self.url = found.group(1)
        return self

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `neoclone serve` expecting it to stop by itself (a refused start)."""
        return run_neoclone(
            "serve", "--port", "0", *args, env=self.env, cwd=self.config.parent,
            timeout_s=_START_TIMEOUT_S,
        )  # fmt: skip

    def stop(self) -> int | None:
        """SIGTERM (a graceful stop), then wait for its output to end; its exit code
        (None if it was not running)."""
        process, self._process = self._process, None
        if process is None:
            return None
        stop_process(process, 10)
        for reader in self._readers:
            reader.join(5)
        return process.returncode

    def _read(self, stream: Any) -> None:
        for line in stream:
            self._lines.append(line)

    def __enter__(self) -> GatewayProcess:
        return self.start() if self._process is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def gateway_process(
    directory: Path, upstream: Upstream, *args: str, store: str | None = None, **env: str
) -> Iterator[GatewayProcess]:
    """A started gateway over `upstream`, stopped at the end."""
    with GatewayProcess(write_config(directory, upstream, store=store), env=env).start(*args) as gw:
        yield gw


def scrape(url: str, headers: Mapping[str, str] | None = None) -> str:
    """The gateway's Prometheus metrics."""
    return httpx.get(f"{url}/metrics", headers=dict(headers or {}), timeout=10).text


def metric(text: str, name: str, **labels: str) -> float | None:
    """One sample's value from Prometheus text, None when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample.partition("{")[0] != name:
            continue
        got = ",".join(sorted(sample.partition("{")[2].rstrip("}").split(","))) if labels else ""
        if got == wanted:
            return float(value)
    return None
