"""The `neoclone` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


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
    return subprocess.run(
        [sys.executable, "-m", "neoclone_core", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )


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


def test_every_command_has_help_with_examples(tmp_path: Path) -> None:
    for command in ("discover", "models", "cache", "plugins", "stats"):
        result = neoclone(tmp_path, command, "--help")
        assert result.returncode == 0
        assert "Examples:" in result.stdout, command


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
