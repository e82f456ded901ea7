"""The guides cannot rot: their examples run, their commands parse, their configuration
reference names every key with its real default, and their links lead somewhere.

- A Python block fenced as ```` ```python runnable ```` is a whole script. It runs as its
  own process in an empty folder, on a machine whose only provider is OpenRouter, served
  by a local `RecordingServer` from the plugin's recorded model list (any chat gets a
  canned answer, streamed when asked), and must exit 0. Blocks fenced plain ```` ```python ````
  are fragments and are not run.
- Every `neoclone ...` line of a `console`/`bash`/`sh` block must parse: it is given to the
  real command with `--help` appended, so an option that does not exist fails.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import attrs
import pytest
import structlog
from click.testing import CliRunner

from neoclone_core import cli
from neoclone_core.config import (
    _CACHE_KEYS,
    _PROVIDER_KEYS,
    _TOP_KEYS,
    CacheSettings,
    Settings,
)
from neoclone_core.config_quota import _BUDGET_KEYS, _QUOTA_KEYS, QuotaSettings
from neoclone_core.testing import RecordedRequest, RecordingServer, Reply, completion_chunk

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDES = ["user-guide.md", "plugin-guide.md", "embedding.md", "hooks.md"]
OPENROUTER_MODELS = (
    ROOT / "plugins/neoclone-provider-openrouter/tests/fixtures/openrouter-models-2025-05.json"
)
CANNED = "A canned answer from the local test server."
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@attrs.frozen
class Block:
    guide: str
    line: int
    info: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.guide}:{self.line}"


def blocks(guides: list[str] = GUIDES) -> list[Block]:
    """Every fenced block of the guides, with the line its code starts on."""
    found = []
    for guide in guides:
        text = (DOCS / guide).read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start(2)) + 1
            found.append(Block(guide, line, match.group(1).strip(), match.group(2)))
    return found


RUNNABLE = [b for b in blocks() if b.info == "python runnable"]
SHELL = [b for b in blocks() if b.info in ("console", "bash", "sh")]


def test_every_guide_has_runnable_examples() -> None:
    assert {b.guide for b in RUNNABLE} == set(GUIDES)


# -- runnable Python ----------------------------------------------------------------------


def chat_reply(request: RecordedRequest) -> Reply:
    """What the fake OpenRouter answers any chat: the canned text, streamed if asked."""
    body = request.json()
    if body.get("stream"):
        return Reply.sse([completion_chunk(CANNED), completion_chunk("", "stop")])
    message = {"role": "assistant", "content": CANNED}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    return Reply(body={"id": "gen-1", "model": body["model"], "choices": [choice]})


@pytest.fixture(scope="module")
def openrouter() -> Iterator[RecordingServer]:
    """The guides' examples run against OpenRouter's recorded list: skipped where the
    bundled OpenRouter plugin is not installed (the core alone)."""
    pytest.importorskip("neoclone_provider_openrouter", reason="the bundled OpenRouter plugin")
    with RecordingServer() as server:
        server.route("GET", "/api/v1/models", Reply.json_file(OPENROUTER_MODELS))
        server.route("POST", "/api/v1/chat/completions", chat_reply)
        yield server


def only_openrouter() -> str:
    installed = {ep.name for ep in entry_points(group="neoclone")}
    return ",".join(sorted(n for n in installed - {"openrouter"} if not n.startswith("default-")))


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.name)
def test_runnable_examples_run(block: Block, tmp_path: Path, openrouter: RecordingServer) -> None:
    config = tmp_path / "neoclone.toml"
    config.write_text(f'[providers.openrouter]\nbase_url = "{openrouter.url}/api/v1"\n')
    script = tmp_path / "example.py"
    script.write_text(block.code)
    env = {
        **os.environ,
        "NEOCLONE_HOME": str(tmp_path / "home"),
        "NEOCLONE_CONFIG": str(config),
        "NEOCLONE_DISABLE_PLUGINS": only_openrouter(),
        "OPENROUTER_API_KEY": "sk-or-v1-" + "0" * 64,
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, f"{block.name}\n{result.stdout}\n{result.stderr}"


# -- command lines ------------------------------------------------------------------------


def shell_commands(block: Block) -> Iterator[str]:
    """The command lines of a block: every line of a `bash`/`sh` block; in a `console`
    block, the lines after a `$ ` prompt (the others are output)."""
    for raw in block.code.splitlines():
        line = raw.strip()
        if block.info == "console":
            if line.startswith("$ "):
                yield line[2:]
        elif line and not line.startswith("#"):
            yield line


def command_lines(block: Block) -> Iterator[list[str]]:
    """The arguments of every `neoclone` invocation in a shell block: after a pipe or
    `VAR=value` assignments; comments dropped, quotes respected."""
    for line in shell_commands(block):
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|")
        lexer.whitespace_split = True
        words: list[str] = []
        for word in [*lexer, "|"]:
            if word != "|" and not word.startswith("|"):
                words.append(word)
                continue
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                words = words[1:]
            if words and words[0] == "neoclone":
                yield words[1:]
            words = []


COMMANDS = [(b, args) for b in SHELL for args in command_lines(b)]


def test_the_guides_show_every_command() -> None:
    shown = {args[0] for _, args in COMMANDS if args and not args[0].startswith("-")}
    assert set(cli.main.commands) <= shown


@pytest.mark.parametrize(
    ("block", "args"), COMMANDS, ids=[f"{b.name}:{' '.join(a)[:40]}" for b, a in COMMANDS]
)
def test_every_command_line_in_the_guides_parses(block: Block, args: list[str]) -> None:
    if args and args[0] == "serve":
        pytest.importorskip("neoclone_gateway", reason="`serve` comes with neoclone-gateway")
    try:
        result = CliRunner().invoke(cli.main, [*args, "--help"])
    finally:
        structlog.reset_defaults()  # the command configured logging for the whole process
    assert result.exit_code == 0, f"{block.name}: neoclone {' '.join(args)}\n{result.output}"


# -- the configuration reference ----------------------------------------------------------

REFERENCE_ROW = re.compile(r"^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \|", re.MULTILINE)


def reference() -> dict[str, tuple[str, str]]:
    """The user guide's configuration table: key -> (type, default)."""
    text = (DOCS / "user-guide.md").read_text()
    section = text.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    return {m[1]: (m[2].strip(), m[3].strip()) for m in REFERENCE_ROW.finditer(section)}


def documented_keys() -> set[str]:
    return {
        *_TOP_KEYS,
        *(f"cache.{k}" for k in _CACHE_KEYS),
        *(f"providers.<name>.{k}" for k in _PROVIDER_KEYS),
        *(f"quota.{k}" for k in _QUOTA_KEYS),
        *(f"quota.providers.<name>.{k}" for k in _BUDGET_KEYS),
        *(f'quota.models."<id>".{k}' for k in _BUDGET_KEYS),
    } - {"cache", "providers", "quota", "quota.providers", "quota.models"}


def test_the_configuration_reference_lists_exactly_the_keys_the_loader_reads() -> None:
    assert set(reference()) == documented_keys()


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value) if isinstance(value, tuple) else str(value)


DEFAULTS = {
    "discovery_timeout": attrs.fields(Settings).discovery_timeout.default,
    "request_timeout": attrs.fields(Settings).request_timeout.default,
    "local_fallback": attrs.fields(Settings).local_fallback.default,
    "cache.ttl_days": CacheSettings().ttl_seconds / 86400,
    "cache.backoff_base_seconds": CacheSettings().backoff_base_seconds,
    "cache.backoff_cap_seconds": CacheSettings().backoff_cap_seconds,
    "providers.<name>.enabled": True,
    "quota.health_share": QuotaSettings().health_share,
}


@pytest.mark.parametrize(("key", "default"), DEFAULTS.items())
def test_the_configuration_reference_gives_the_real_defaults(key: str, default: Any) -> None:
    _, documented = reference()[key]
    assert documented.startswith(f"`{shown(default)}`"), f"{key}: {documented}"


# -- links --------------------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
# Pages other issues write (the gateway's, issue 7; the benchmarks', issue 8): linked
# before they land, checked once they exist.
WRITTEN_ELSEWHERE = {"gateway.md", "benchmarks.md", "docs/gateway.md", "docs/benchmarks.md"}


@pytest.mark.parametrize("page", ["README.md", *(f"docs/{g}" for g in [*GUIDES, "README.md"])])
def test_every_relative_link_leads_to_a_file(page: str) -> None:
    path = ROOT / page
    for target in LINK.findall(path.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        if target in WRITTEN_ELSEWHERE and not (path.parent / target).exists():
            continue
        assert (path.parent / target).exists(), f"{page} links to missing {target}"
