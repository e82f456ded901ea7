"""`neoclone run`: the answer on stdout, the route on stderr, exit 1 when no model could
serve. In process (with test providers on a loopback server), and once as a real
process through the installed OpenRouter plugin."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner, Result

from neoclone_core import cli
from neoclone_core.discover.snapshot import snapshot_models
from neoclone_core.testing import RecordingServer
from neoclone_core.testing.helpers import run_neoclone
from tests.support import NewNeoclone, answer, error, path, sse, upstream


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        running.route("POST", path("p"), error(503, "overloaded"))
        running.route("POST", path("b"), answer("Hello from the backup."))
        yield running


@pytest.fixture
def invoke(
    monkeypatch: pytest.MonkeyPatch, server: RecordingServer, new_neoclone: NewNeoclone
) -> Iterator[object]:
    """Runs `neoclone ARGS` in process, on neoclone with the `p` and `b` upstreams."""
    providers = [upstream(server, "p"), upstream(server, "b")]
    opened = lambda self: new_neoclone(*providers, rng=lambda: 0.5)  # noqa: E731
    monkeypatch.setattr(cli.State, "open", opened)

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)

    yield run
    structlog.reset_defaults()  # the CLI configured logging onto the runner's streams


def test_run_prints_the_answer_then_the_route(invoke, server: RecordingServer) -> None:  # type: ignore[no-untyped-def]
    result = invoke("run", "Say hello", "--model", "p/m", "--backup", "b/m")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Hello from the backup.\n"
    assert "p/m" in result.stderr and "unavailable: p: HTTP 503: overloaded" in result.stderr
    assert "served by b/m" in result.stderr and "1 fallback" in result.stderr
    assert server.hits("POST", path("p")) == 1


def test_run_streams_the_answer(invoke, server: RecordingServer) -> None:  # type: ignore[no-untyped-def]
    server.route("POST", path("b"), sse("Hel", "lo", "!"))
    result = invoke("run", "Say hello", "-m", "p/m", "-b", "b/m", "--stream")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Hello!\n"
    assert server.requests[-1].json()["stream"] is True


def test_run_as_json_gives_the_answer_and_every_attempt(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("run", "Say hello", "-m", "p/m", "-b", "b/m", "--json")
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["answer"] == "Hello from the backup."
    assert data["plan"] == ["p/m", "b/m"]
    attempts = [(a["model"], a["outcome"], a["error_kind"]) for a in data["route"]["attempts"]]
    assert attempts == [("p/m", "failed", "unavailable"), ("b/m", "ok", None)]


def test_run_exits_1_listing_why_when_no_model_could_serve(
    invoke,  # type: ignore[no-untyped-def]
    server: RecordingServer,
) -> None:
    server.route("POST", path("b"), error(429, "slow down", headers={"Retry-After": "20"}))
    result = invoke("run", "Say hello", "-m", "p/m", "-b", "b/m")
    assert result.exit_code == 1
    assert result.stdout == "\n"
    assert "unavailable" in result.stderr and "rate_limited" in result.stderr
    assert "no model could serve the request" in result.stderr


def test_run_exits_1_when_the_request_itself_is_refused(invoke, server: RecordingServer) -> None:  # type: ignore[no-untyped-def]
    server.route("POST", path("p"), error(400, "unknown parameter"))
    result = invoke("run", "Say hello", "-m", "p/m", "-b", "b/m", "--json")
    assert result.exit_code == 1
    assert "unknown parameter" in json.loads(result.stdout)["error"]
    assert server.hits("POST", path("b")) == 0


def test_run_without_a_model_runs_the_plan_made_for_the_task(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("run", "Say hello", "--json")
    data = json.loads(result.stdout)
    assert set(data["plan"]) == {"p/m", "b/m"}
    assert data["ok"] is True and data["served_by"] == "b/m"


def test_a_backup_needs_a_primary(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("run", "Say hello", "--backup", "b/m")
    assert result.exit_code == 2
    assert "--backup needs --model" in result.stderr


# -- a real process, the real OpenRouter plugin -----------------------------------------


def free_openrouter_models(count: int) -> list[str]:
    return [m.id for m in snapshot_models() if m.provider == "openrouter" and m.free][:count]


def test_run_as_a_process_falls_back_through_the_openrouter_plugin(tmp_path: Path) -> None:
    pytest.importorskip("neoclone_provider_openrouter", reason="the bundled OpenRouter plugin")
    first, second = free_openrouter_models(2)
    providers = {ep.name for ep in entry_points(group="neoclone")} - {"openrouter"}
    disabled = ",".join(sorted(n for n in providers if not n.startswith("default-")))
    with RecordingServer() as server:
        chat = "/api/v1/chat/completions"

        def by_model(request):  # type: ignore[no-untyped-def]
            primary = request.json()["model"] == first.removeprefix("openrouter/")
            return error(502, "bad gateway") if primary else answer("A real answer.")

        server.route("POST", chat, by_model)
        config = tmp_path / "neoclone.toml"
        config.write_text(f'[providers.openrouter]\nbase_url = "{server.url}/api/v1"\n')
        env = {
            **os.environ,
            "NEOCLONE_HOME": str(tmp_path / "home"),
            "NEOCLONE_CONFIG": str(config),
            "NEOCLONE_DISABLE_PLUGINS": disabled,  # only OpenRouter and the defaults
            "OPENROUTER_API_KEY": "sk-or-v1-" + "0" * 64,
            "NO_COLOR": "1",
        }
        command = ["run", "Say something", "--offline", "--model", first, "--backup", second]
        result = run_neoclone(*command, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "A real answer.\n"
    assert "unavailable" in result.stderr and f"served by {second}" in result.stderr
    assert server.hits("POST", chat) == 2
    assert "0" * 64 not in result.stderr
