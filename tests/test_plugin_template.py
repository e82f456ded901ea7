"""The plugin template keeps its promise: rendered with cookiecutter and pip-installed, it
is a provider plugin that `neoclone` lists by its entry-point name, whose models appear
from a local server, that ruff and mypy accept, and whose own tests pass.

The template is rendered once for the module (about a second) and installed once (a few
seconds); each test then checks one promise against that installation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from neoclone_core.testing import RecordingServer, Reply

pytestmark = pytest.mark.slow

TEMPLATE = Path(__file__).resolve().parent.parent / "plugin_template"
ANSWERS = {"provider_name": "zenith", "base_url": "https://api.zenith.invalid/v1"}
KEY = "zk-" + "0123456789abcdef" * 2


def render(into: Path, **answers: str) -> Path:
    """The template rendered without questions; cookiecutter's replay and cache stay in
    `into`, not in the user's home."""
    config = into / "cookiecutter.yaml"
    config.write_text(f"replay_dir: {into / 'replay'}\ncookiecutters_dir: {into / 'cache'}\n")
    out = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        output_dir=str(into),
        config_file=str(config),
        extra_context={**ANSWERS, **answers},
    )
    return Path(out)


def run(
    *command: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=120,
    )


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered plugin's folder."""
    return render(tmp_path_factory.mktemp("rendered"))


@pytest.fixture(scope="module")
def site(plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder the rendered plugin is pip-installed into (for PYTHONPATH)."""
    target = tmp_path_factory.mktemp("site")
    pip = ("pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target")
    installed = run(*pip, str(target), str(plugin), cwd=plugin)
    assert installed.returncode == 0, installed.stderr
    return target


@pytest.fixture
def fake_api(plugin: Path) -> Iterator[RecordingServer]:
    """The provider's API on 127.0.0.1, serving the template's model list."""
    with RecordingServer() as server:
        server.route("GET", "/v1/models", Reply.json_file(plugin / "tests/fixtures/models.json"))
        yield server


def neoclone(
    tmp_path: Path, site: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`neoclone ARGS` as a process, with the rendered plugin installed and every other
    provider plugin blocked (so nothing but the fake API is scanned)."""
    others = {ep.name for ep in entry_points(group="neoclone")} - {"zenith"}
    blocked = ",".join(sorted(n for n in others if not n.startswith("default-")))
    environment = {
        "PYTHONPATH": str(site),
        "NEOCLONE_HOME": str(tmp_path / "home"),
        "NEOCLONE_CONFIG": "",
        "NEOCLONE_DISABLE_PLUGINS": blocked,
        **(env or {}),
    }
    return run("neoclone_core", *args, cwd=tmp_path, env=environment)


def test_the_rendered_plugin_is_listed_by_its_entry_point_name(tmp_path: Path, site: Path) -> None:
    result = neoclone(tmp_path, site, "plugins", "--json")

    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    zenith = next(p for p in listed["plugins"] if p["name"] == "zenith")
    assert zenith["distribution"] == "neoclone-provider-zenith"
    assert zenith["module"] == "neoclone_provider_zenith"
    assert zenith["hooks"] == ["neoclone_register_providers"]
    assert zenith["error"] == ""
    assert "zenith" in listed["providers"]


def test_its_models_come_from_the_api_with_the_key_it_names(
    tmp_path: Path, site: Path, fake_api: RecordingServer
) -> None:
    config = tmp_path / "neoclone.toml"
    config.write_text(f'[providers.zenith]\nbase_url = "{fake_api.url}/v1"\n')
    env = {"NEOCLONE_CONFIG": str(config), "ZENITH_API_KEY": KEY}

    result = neoclone(tmp_path, site, "models", "--provider", "zenith", "--json", env=env)

    assert result.returncode == 0, result.stderr
    free = {m["id"]: m["free"] for m in json.loads(result.stdout)}
    assert free == {
        "zenith/swift-8b-instruct": True,
        "zenith/lens-11b-vision": True,
        "zenith/sage-70b-instruct": False,
        "zenith/preview-large": False,
    }
    [listing] = fake_api.requests
    assert listing.headers["authorization"] == f"Bearer {KEY}"


def test_without_its_key_the_provider_is_skipped_with_a_one_line_reason(
    tmp_path: Path, site: Path
) -> None:
    result = neoclone(tmp_path, site, "discover", "--json")

    assert result.returncode == 0, result.stderr
    [scan] = [s for s in json.loads(result.stdout) if s["provider"] == "zenith"]
    assert (scan["status"], scan["message"]) == (
        "skipped",
        "zenith: no API key (set ZENITH_API_KEY)",
    )


def test_the_rendered_plugin_passes_its_own_tests(plugin: Path, site: Path) -> None:
    env = {"PYTHONPATH": str(site)}
    result = run("pytest", "-q", "-p", "no:cacheprovider", cwd=plugin, env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_the_rendered_plugin_is_ruff_and_mypy_clean(plugin: Path) -> None:
    for command in (("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",)):
        result = run(*command, cwd=plugin)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"


def test_answers_that_cannot_make_a_plugin_are_refused_before_any_file_is_written(
    tmp_path: Path,
) -> None:
    with pytest.raises(FailedHookException):
        render(tmp_path, provider_name="Zenith AI")

    assert not list(tmp_path.glob("neoclone-provider-*"))
