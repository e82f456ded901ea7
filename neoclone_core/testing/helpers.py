"""Helpers for provider plugin tests: a client and a call context like the core's, a
provider served by a RecordingServer (`ProviderUnderTest`), a `Neoclone` over one
plugin, OpenAI-shaped completions and stream chunks. Pytest fixtures built on them are
in `neoclone_core.pytest_plugin`."""

from __future__ import annotations

import enum
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx

from neoclone_core import (
    ChatChunk,
    ModelInfo,
    Neoclone,
    Provider,
    ProviderContext,
    ProviderSettings,
    Secret,
    Settings,
    build_plugins,
    hookimpl,
)
from neoclone_core.provider import FreeTier, free_tier_of
from neoclone_core.testing.replies import Reply
from neoclone_core.testing.server import RecordingServer
from neoclone_core.user_agent import user_agent

__all__ = [
    "OWN_KEY",
    "ProviderUnderTest",
    "ProvidersPlugin",
    "chat_completion",
    "closed_port_url",
    "collect_text",
    "completion_chunk",
    "declared_free_tier",
    "free_port",
    "local_http_client",
    "neoclone_with",
    "provider_context",
    "registered_provider",
    "run_neoclone",
    "stop_process",
]


def run_neoclone(
    *args: str, env: Mapping[str, str], cwd: Path, timeout_s: float = 60
) -> subprocess.CompletedProcess[str]:
    """`neoclone ARGS` run as its own process by this Python, as a user runs it: its
    output as text, whatever its exit code (the test reads `returncode`)."""
    return subprocess.run(
        [sys.executable, "-m", "neoclone_core", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        timeout=timeout_s,
        check=False,
    )


def stop_process(process: subprocess.Popen[Any], timeout_s: float) -> None:
    """SIGTERM `process` (a graceful stop), then SIGKILL if it lingers past `timeout_s`."""
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ProvidersPlugin:
    """A plugin registering the given provider objects: what a test hands
    `build_plugins(extra=...)` to run neoclone over providers written inline."""

    def __init__(self, *providers: object) -> None:
        self.providers = providers

    @hookimpl
    def neoclone_register_providers(self, register: Callable[[Any], None]) -> None:
        """Register each provider."""
        for provider in self.providers:
            register(provider)


def registered_provider(plugin: Any) -> Provider:
    """The one provider `plugin` registers through `neoclone_register_providers`;
    AssertionError when it registers none or several, TypeError when it is no Provider."""
    registered: list[object] = []
    plugin.neoclone_register_providers(registered.append)
    assert len(registered) == 1, f"registered {len(registered)} providers, not one"
    [provider] = registered
    if not isinstance(provider, Provider):
        msg = f"registered {provider!r}, which is no Provider"
        raise TypeError(msg)
    return provider


def declared_free_tier(provider: object, name: str) -> FreeTier:
    """The `free_tier` of the provider `name`, as every provider must declare it: its
    limits or terms in words, and the https page that says so with the day it was read
    (YYYY-MM-DD); AssertionError naming the provider otherwise."""
    tier = free_tier_of(provider)
    assert tier is not None, f"{name} declares no free_tier"
    assert tier.source.startswith("https://"), f"{name}: the free tier's source is no https page"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", tier.checked), f"{name}: checked is no YYYY-MM-DD"
    assert tier.limits or tier.terms, f"{name}: the free tier says neither limits nor terms"
    return tier


def free_port() -> int:
    """A loopback port nothing listens on (connections to it are refused): bound, then
    released, so it was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def closed_port_url() -> str:
    """A loopback URL nothing listens on (see `free_port`)."""
    return f"http://127.0.0.1:{free_port()}"


def local_http_client() -> httpx.AsyncClient:
    """An HTTP client like the one `Neoclone` shares with its providers (neoclone's
    User-Agent, redirects followed), for a RecordingServer. Plain HTTP to 127.0.0.1
    needs no CA bundle, and not loading one saves ~50 ms a client. Close it after use."""
    headers = {"User-Agent": user_agent()}
    return httpx.AsyncClient(verify=False, follow_redirects=True, headers=headers)  # noqa: S501


def provider_context(
    provider: Provider,
    base_url: str,
    http: httpx.AsyncClient,
    *,
    key: str | None = None,
    timeout: float = 5.0,
    now: float | None = None,
) -> ProviderContext:
    """What the core hands `provider` for a call to `base_url`: the provider's name and
    key variable, `key` as the key (None or "": not set), and a clock stopped at `now`
    (None: the real time)."""
    return ProviderContext(
        provider=provider.name,
        base_url=base_url,
        api_key=Secret(key) if key else None,
        api_key_env=provider.api_key_env,
        timeout=timeout,
        http=http,
        clock=time.time if now is None else lambda: now,
    )


class _Own(enum.Enum):
    KEY = "the key of the ProviderUnderTest"


OWN_KEY = _Own.KEY
"""`ProviderUnderTest.context`'s default key: the one the ProviderUnderTest was made with."""


@attrs.frozen
class ProviderUnderTest:
    """A provider as its tests call it on a RecordingServer: `make` builds it (its
    class, say), its base URL is the server's URL and `path`, its list of models is
    `listing` (a recorded file) at `path + listing_path`, and its calls carry `key` on a
    clock stopped at `now` (None: the real time)::

        GROQ = ProviderUnderTest(GroqProvider, "/openai/v1", listing=MODELS_FILE, key=KEY)

        @pytest.fixture
        def ctx(server, http):
            return GROQ.served(server, http)
    """

    make: Callable[[], Provider]
    path: str = ""
    listing: Path | None = None
    listing_path: str = "/models"
    key: str | None = None
    now: float | None = None

    def context(
        self,
        server: RecordingServer,
        http: httpx.AsyncClient,
        *,
        key: str | _Own | None = OWN_KEY,
        timeout: float = 5.0,
    ) -> ProviderContext:
        """The context the core would build for a call to the server, with `key`
        (by default the ProviderUnderTest's; None or "": no key set)."""
        key = self.key if key is OWN_KEY else key
        base_url = server.url + self.path
        return provider_context(self.make(), base_url, http, key=key, timeout=timeout, now=self.now)

    def served(self, server: RecordingServer, http: httpx.AsyncClient) -> ProviderContext:
        """`context`, with the server answering the listing with the `listing` file."""
        if self.listing is None:
            msg = "this ProviderUnderTest has no listing file to serve"
            raise ValueError(msg)
        self.serve_listing(server, Reply.json_file(self.listing))
        return self.context(server, http)

    def serve_listing(self, server: RecordingServer, reply: Reply) -> None:
        """Have the server answer the provider's listing with `reply`."""
        server.route("GET", self.path + self.listing_path, reply)

    async def listed(
        self, server: RecordingServer, http: httpx.AsyncClient, document: object
    ) -> list[ModelInfo]:
        """The models the provider discovers when its listing answers `document`."""
        self.serve_listing(server, Reply(body=document))
        return list(await self.make().discover(self.context(server, http)))

    async def discovered(self, ctx: ProviderContext) -> dict[str, ModelInfo]:
        """The models a discovery in `ctx` finds, by name, in the order found."""
        return {m.name: m for m in await self.make().discover(ctx)}


def neoclone_with(
    plugin: object,
    home: Path,
    *,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    api_key_env: str | None = None,
    default_plugins: bool = True,
) -> Neoclone:
    """A `Neoclone` over one plugin, for end-to-end tests: no installed entry point is
    loaded, only `plugin` and (unless `default_plugins` is False) the core's default
    policies. Its store lives in `home`; every provider the plugin registers calls
    `base_url` (its default when None) and reads its key from the variable `api_key_env`
    (its own when None), looked up in `env` only (default: no variable at all)."""
    from neoclone_core.default_plugins import default_policies

    defaults = default_policies() if default_plugins else []
    name = getattr(plugin, "__name__", type(plugin).__name__)
    plugins = build_plugins(entry_points=False, extra=[*defaults, (name, plugin)])
    overrides = ProviderSettings(base_url=base_url, api_key_env=api_key_env)
    settings = Settings(home=home, providers=dict.fromkeys(plugins.providers(), overrides))
    return Neoclone(settings, plugins=plugins, env={} if env is None else env)


def chat_completion(
    content: str, *, prompt_tokens: int = 9, completion_tokens: int = 2, **fields: Any
) -> dict[str, Any]:
    """A chat completion in OpenAI's documented shape
    (https://platform.openai.com/docs/api-reference/chat/object) answering `content`;
    `fields` are added at its top level (a provider's own `x_groq`, or `usage` with more
    fields than the token counts)."""
    message = {"role": "assistant", "content": content}
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_763_400_000,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": usage,
        **fields,
    }


def completion_chunk(
    content: str, finish_reason: str | None = None, **fields: Any
) -> dict[str, Any]:
    """One streamed chunk of a chat completion in OpenAI's shape, for `Reply.sse`;
    `fields` are added at its top level (Groq's `x_groq`, say)."""
    choice = {"index": 0, "delta": {"content": content}, "finish_reason": finish_reason}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [choice], **fields}


async def collect_text(stream: AsyncIterator[ChatChunk], into: list[str]) -> None:
    """Append the text of each chunk of `stream` to `into` as it arrives, so that a test
    still sees what was delivered before the stream failed."""
    async for chunk in stream:
        into.append(chunk.content)
