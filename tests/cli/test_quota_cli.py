"""`neoclone quota`: what is left of every quota, after requests made by earlier
commands (each command opens the store afresh, as separate processes do)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog
from click.testing import CliRunner, Result

from neoclone_core import cli
from neoclone_core.testing import RecordingServer, Reply
from tests.support import NewNeoclone, answer, path, upstream

# Groq's header names (console.groq.com/docs/rate-limits), values chosen for the test.
SAID = {
    "x-ratelimit-limit-requests": "1000",
    "x-ratelimit-remaining-requests": "0",
    "x-ratelimit-reset-requests": "2m59.56s",
}


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        running.route("POST", path("b"), answer("Hello."))
        running.route("POST", path("g"), Reply(body=answer("Hi.").body, headers=SAID))
        yield running


@pytest.fixture
def invoke(
    monkeypatch: pytest.MonkeyPatch, server: RecordingServer, new_neoclone: NewNeoclone
) -> Iterator[object]:
    providers = [upstream(server, "b"), upstream(server, "g")]
    monkeypatch.setattr(cli.State, "open", lambda self: new_neoclone(*providers))

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)

    yield run
    structlog.reset_defaults()


def test_quota_as_json_counts_what_earlier_commands_spent(invoke) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        assert invoke("run", "Say hello", "-m", "b/m").exit_code == 0

    result = invoke("quota", "--json")

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    windows = {(w["model"], w["window"]): w for w in data["windows"]}
    assert set(windows) == {("b/m", "minute"), ("b/m", "day-utc")}
    assert windows["b/m", "day-utc"]["requests"] == {"used": 2, "limit": None, "left": None}
    assert windows["b/m", "day-utc"]["key"] == ""  # no key: nothing to fingerprint
    assert data["stated"] == []


def test_quota_shows_what_a_provider_said_and_the_route_skips_it(invoke) -> None:  # type: ignore[no-untyped-def]
    assert invoke("run", "Say hi", "-m", "g/m").exit_code == 0

    table = invoke("quota")
    again = invoke("run", "Say hi", "-m", "g/m", "-b", "b/m", "--json")

    assert table.exit_code == 0, table.stderr
    assert "what the providers said last:" in table.stdout
    assert "g/m" in table.stdout and "3m 0s" in table.stdout
    attempts = json.loads(again.stdout)["route"]["attempts"]
    assert attempts[0]["outcome"] == "skipped"
    assert (
        "g/m: 0 of 1,000 requests left as the provider said, resets in 3m 0s"
        in attempts[0]["error"]
    )
