"""The `neoclone` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from neoclone_core import cli
from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.helpers import run_neoclone


def neoclone(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "NEOCLONE_HOME": str(tmp_path / "home"),
        "NEOCLONE_CONFIG": "",
        "NO_COLOR": "1",
        **(env or {}),
    }
    return run_neoclone(*args, env=environment, cwd=tmp_path)


def test_plugins_lists_the_default_policies_by_entry_point_name(tmp_path: Path) -> None:
    result = neoclone(tmp_path, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    names = {p["name"] for p in json.loads(result.stdout)["plugins"]}
    assert {"default-analyser", "default-scoring", "default-selection", "default-fallback"} <= names


@pytest.mark.parametrize("how", ["config", "env"])
def test_a_plugin_blocked_by_config_or_env_is_not_loaded(tmp_path: Path, how: str) -> None:
    env = {}
    if how == "config":
        (tmp_path / "neoclone.toml").write_text('disabled_plugins = ["default-scoring"]\n')
    else:
        env["NEOCLONE_DISABLE_PLUGINS"] = "default-scoring"
    data = json.loads(neoclone(tmp_path, "plugins", "--json", env=env).stdout)
    assert "default-scoring" not in {p["name"] for p in data["plugins"]}
    assert data["disabled"] == ["default-scoring"]


def test_a_config_error_is_one_line_naming_the_file_and_key_with_exit_code_2(
    tmp_path: Path,
) -> None:
    (tmp_path / "neoclone.toml").write_text("[cache]\nttl_days = 'soon'\n")
    result = neoclone(tmp_path, "models", "--offline")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "neoclone.toml" in result.stderr and "cache.ttl_days" in result.stderr
    assert "Traceback" not in result.stderr


def test_models_offline_on_a_first_run_prints_valid_json(tmp_path: Path) -> None:
    result = neoclone(tmp_path, "models", "--offline", "--free", "--json")
    assert result.returncode == 0, result.stderr
    models = json.loads(result.stdout)
    assert all(m["free"] for m in models)


def test_plugins_show_what_each_free_tier_costs_with_its_source(tmp_path: Path) -> None:
    data = json.loads(neoclone(tmp_path, "plugins", "--json").stdout)
    tiers = data["free_tiers"]

    assert set(tiers) <= set(data["providers"])
    assert tiers["openrouter"]["trains_on_prompts"] is True
    assert tiers["together"]["access"] == "paid only"
    assert all(t["source"].startswith("https://") and t["checked"] for t in tiers.values())
    text = neoclone(tmp_path, "plugins", env={"COLUMNS": "400"}).stdout
    assert "free tiers" in text and "phone number verification" in text


def test_models_explain_names_the_terms_of_the_listed_providers(tmp_path: Path) -> None:
    result = neoclone(tmp_path, "models", "--offline", "--free", "--explain", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)

    listed = {m["provider"] for m in data["models"]}
    assert listed and set(data["free_tiers"]) <= listed
    assert "gemini" in data["free_tiers"]  # the snapshot lists Gemini's free models
    assert any("training" in term for term in data["free_tiers"]["gemini"]["terms"])


def test_excluding_training_providers_leaves_their_models_out(tmp_path: Path) -> None:
    (tmp_path / "neoclone.toml").write_text("exclude_training_on_prompts = true\n")
    result = neoclone(tmp_path, "models", "--offline", "--free", "--json")
    assert result.returncode == 0, result.stderr
    providers = {m["provider"] for m in json.loads(result.stdout)}

    assert providers  # Groq and GitHub Models do not train on prompts
    assert not providers & {"gemini", "openrouter", "mistral", "opencode"}


def test_cache_reports_the_store_location_and_counts(tmp_path: Path) -> None:
    result = neoclone(tmp_path, "cache", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["store"] == str(tmp_path / "home" / "neoclone.sqlite3")
    assert stats["rescans_avoided"] == 0


def test_a_corrupt_store_file_is_set_aside_with_a_warning_and_the_command_works(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "neoclone.sqlite3").write_bytes(b"this is not a database" * 100)
    result = neoclone(tmp_path, "cache", "--json")
    assert result.returncode == 0, result.stderr
    assert "neoclone.store_recovered" in result.stderr
    assert list(home.glob("neoclone.sqlite3.corrupt-*"))


@pytest.mark.parametrize("command", [None, *sorted(cli.main.commands)])
def test_every_command_has_help_with_examples_and_the_exit_codes(
    tmp_path: Path, command: str | None
) -> None:
    result = neoclone(tmp_path, *([command] if command else []), "--help")
    assert result.returncode == 0
    assert "Examples:" in result.stdout
    assert "Exit codes: 0 done; 1 a runtime failure" in " ".join(result.stdout.split())
    assert "2 bad usage or configuration; 130 interrupted" in " ".join(result.stdout.split())


EXAMPLE_PLUGIN = """
from neoclone_core import ModelInfo, hookimpl


class ExampleProvider:
    name = "example"
    default_base_url = "http://127.0.0.1:9"
    api_key_env = None

    async def discover(self, ctx):
        return [ModelInfo("example", "tiny:free", free=True, context_length=4096)]

    async def chat(self, ctx, model, request):
        raise NotImplementedError

    async def stream(self, ctx, model, request):
        raise NotImplementedError
        yield


@hookimpl
def neoclone_register_providers(register):
    register(ExampleProvider())
"""

EXAMPLE_PYPROJECT = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "neoclone-example-plugin"
version = "1.2.3"

[project.entry-points.neoclone]
example = "neoclone_example_plugin"
"""


@pytest.mark.slow
def test_a_pip_installed_plugin_is_listed_by_its_entry_point_name_and_can_be_blocked(
    tmp_path: Path,
) -> None:
    source = tmp_path / "plugin"
    (source / "neoclone_example_plugin").mkdir(parents=True)
    (source / "neoclone_example_plugin" / "__init__.py").write_text(EXAMPLE_PLUGIN)
    (source / "pyproject.toml").write_text(EXAMPLE_PYPROJECT)
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    env = {"PYTHONPATH": str(site)}
    listed = json.loads(neoclone(tmp_path, "plugins", "--json", env=env).stdout)
    example = next(p for p in listed["plugins"] if p["name"] == "example")
    assert example["distribution"] == "neoclone-example-plugin"
    assert example["version"] == "1.2.3"
    assert example["hooks"] == ["neoclone_register_providers"]
    assert "example" in listed["providers"]
    models = json.loads(neoclone(tmp_path, "models", "--json", env=env).stdout)
    assert "example/tiny:free" in [m["id"] for m in models]

    blocked = json.loads(
        neoclone(
            tmp_path, "plugins", "--json", env={**env, "NEOCLONE_DISABLE_PLUGINS": "example"}
        ).stdout
    )
    assert "example" not in [p["name"] for p in blocked["plugins"]]
    assert "example" not in blocked["providers"]


# -- polish: progress, colour, JSON, errors, exit codes ----------------------------------

OLLAMA_TAGS = "/api/tags"


def only(*providers: str) -> str:
    """$NEOCLONE_DISABLE_PLUGINS blocking every installed provider plugin but these."""
    installed = {ep.name for ep in entry_points(group="neoclone")}
    return ",".join(sorted(n for n in installed - set(providers) if not n.startswith("default-")))


@pytest.fixture
def ollama_down(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine with two providers: Groq without its key (skipped)
    and Ollama not running (its scan fails at once: nothing listens on port 9). Skipped
    where those two bundled plugins are not installed (the core alone)."""
    pytest.importorskip("neoclone_provider_groq", reason="the bundled Groq plugin")
    pytest.importorskip("neoclone_provider_ollama", reason="the bundled Ollama plugin")
    config = tmp_path / "neoclone.toml"
    config.write_text('[providers.ollama]\nbase_url = "http://127.0.0.1:9"\n')
    return {
        "NEOCLONE_CONFIG": str(config),
        "NEOCLONE_DISABLE_PLUGINS": only("groq", "ollama"),
        "GROQ_API_KEY": "",
    }


def test_discover_prints_a_table_of_every_provider_and_a_summary(
    tmp_path: Path, ollama_down: dict[str, str]
) -> None:
    result = neoclone(tmp_path, "discover", env=ollama_down)

    assert result.returncode == 0, result.stderr
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if "│ " in line[:2]}
    assert "skipped" in rows["groq"] and "no API key (set GROQ_API_KEY)" in rows["groq"]
    assert "failed" in rows["ollama"]
    assert result.stdout.splitlines()[-1].startswith("1 failed, 1 skipped; ")
    assert "scan_failed" not in result.stderr  # the table says it; the log would repeat it


def test_with_v_the_scan_warnings_are_logged_as_well(
    tmp_path: Path, ollama_down: dict[str, str]
) -> None:
    result = neoclone(tmp_path, "-v", "discover", env=ollama_down)

    assert result.returncode == 0, result.stderr
    assert "neoclone.scan_failed" in result.stderr


def test_a_listing_that_scans_on_the_way_names_failed_providers_in_one_line(
    tmp_path: Path, ollama_down: dict[str, str]
) -> None:
    result = neoclone(tmp_path, "models", "--json", env=ollama_down)

    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)
    [line] = result.stderr.splitlines()
    assert line.startswith("warning: 1 provider could not be scanned (ollama): ")
    assert "`neoclone discover` shows why" in line


@pytest.mark.parametrize(
    "args",
    [
        ("discover", "--json"),
        ("models", "--offline", "--json"),
        ("cache", "--json"),
        ("plugins", "--json"),
        ("stats", "--json"),
        ("quota", "--json"),
        ("recommend", "--offline", "--json", "Write a Python function"),
        ("run", "--offline", "--json", "Say hello"),
    ],
    ids=lambda args: args[0],
)
def test_every_command_prints_json_for_scripts(
    tmp_path: Path, ollama_down: dict[str, str], args: tuple[str, ...]
) -> None:
    result = neoclone(tmp_path, *args, env=ollama_down)

    assert result.returncode in (0, 1), result.stderr  # run: 1, as no model can serve
    assert isinstance(json.loads(result.stdout), (dict, list))


ANSI = re.compile(r"\x1b\[")
COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-79]|9[0-7]|38;5;\d+)(?:;\d+)*m")


def test_piped_output_has_no_escape_codes_even_without_no_color(
    tmp_path: Path, ollama_down: dict[str, str]
) -> None:
    env = {**ollama_down, "NO_COLOR": ""}
    for args in (("discover",), ("models", "--offline"), ("recommend", "--offline", "Hi")):
        result = neoclone(tmp_path, *args, env=env)
        assert result.returncode == 0, result.stderr
        assert not ANSI.search(result.stdout + result.stderr), args


def in_a_terminal(tmp_path: Path, command: str, env: dict[str, str]) -> str:
    """What `neoclone COMMAND` writes to a pseudo-terminal (util-linux `script`)."""
    if shutil.which("script") is None:
        pytest.skip("needs util-linux script for a pseudo-terminal")
    line = shlex.join([sys.executable, "-m", "neoclone_core", *shlex.split(command)])
    environment = {
        **os.environ,
        "NEOCLONE_HOME": str(tmp_path / "home"),
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        **env,
    }
    result = subprocess.run(
        ["script", "--quiet", "--return", "--command", line, "/dev/null"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_on_a_terminal_output_is_coloured_unless_no_color_is_set(
    tmp_path: Path, ollama_down: dict[str, str]
) -> None:
    coloured = in_a_terminal(tmp_path, "discover", {**ollama_down, "NO_COLOR": ""})
    plain = in_a_terminal(tmp_path, "discover", {**ollama_down, "NO_COLOR": "1"})

    assert COLOUR.search(coloured)
    assert "ollama" in plain and not COLOUR.search(plain)


def test_an_unknown_provider_filter_is_a_usage_error_naming_the_installed_ones(
    tmp_path: Path, ollama_down: dict[str, str]
) -> None:
    result = neoclone(tmp_path, "models", "--provider", "olama", env=ollama_down)

    assert result.returncode == 2
    assert "no provider 'olama' is installed (installed: groq, ollama)" in result.stderr


BROKEN = """
import sys
from neoclone_core import cli


def open_broken(self):
    raise RuntimeError("a bug somewhere")


cli.State.open = open_broken
sys.argv[0] = "neoclone"
cli.main()
"""


@pytest.mark.parametrize("verbose", [False, True])
def test_an_unexpected_error_is_one_line_and_its_traceback_needs_v(
    tmp_path: Path, verbose: bool
) -> None:
    args = ["-v"] if verbose else []
    result = subprocess.run(
        [sys.executable, "-c", BROKEN, *args, "models", "--offline"],
        capture_output=True,
        text=True,
        env={**os.environ, "NEOCLONE_HOME": str(tmp_path / "home"), "NO_COLOR": "1"},
        timeout=60,
    )

    assert result.returncode == 1
    if verbose:
        assert "Traceback" in result.stderr and "a bug somewhere" in result.stderr
    else:
        assert result.stderr == (
            "error: unexpected RuntimeError: a bug somewhere (run with -v for the traceback)\n"
        )


@pytest.fixture
def hanging_ollama(tmp_path: Path) -> Iterator[tuple[RecordingServer, dict[str, str]]]:
    """An Ollama whose model list never comes (until the server stops)."""
    pytest.importorskip("neoclone_provider_ollama", reason="the bundled Ollama plugin")
    with RecordingServer() as server:
        server.route("GET", OLLAMA_TAGS, Reply(delay_s=60, body={"models": []}))
        config = tmp_path / "neoclone.toml"
        config.write_text(f'[providers.ollama]\nbase_url = "{server.url}"\n')
        yield server, {"NEOCLONE_CONFIG": str(config), "NEOCLONE_DISABLE_PLUGINS": only("ollama")}


def test_ctrl_c_during_discovery_exits_130_in_one_line(
    tmp_path: Path, hanging_ollama: tuple[RecordingServer, dict[str, str]]
) -> None:
    server, env = hanging_ollama
    environment = {**os.environ, "NEOCLONE_HOME": str(tmp_path / "home"), "NO_COLOR": "1", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "neoclone_core", "discover"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 30
    while not server.hits("GET", OLLAMA_TAGS) and time.monotonic() < deadline:
        time.sleep(0.02)

    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130
    assert stderr == "interrupted\n"


def test_a_logged_traceback_shows_no_local_variable_and_no_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import structlog

    from neoclone_core.cli.main import configure_logging

    key = "sk-or-v1-" + "0123456789abcdef" * 4  # shaped as OpenRouter's keys are
    configure_logging(1)
    try:
        headers = {"Authorization": f"Bearer {key}"}
        raise RuntimeError(f"upstream refused {headers['Authorization']}")
    except RuntimeError:
        structlog.get_logger("neoclone").exception("neoclone.gateway_stream_failed")
    finally:
        structlog.reset_defaults()
    logged = capsys.readouterr().err
    assert "neoclone.gateway_stream_failed" in logged and "RuntimeError" in logged
    assert "Traceback" in logged
    assert key not in logged and "0123456789abcdef" not in logged
