"""The benchmark harness (bench/compare.py) at a tiny size, so that it cannot rot.

It runs the real command, every process included (the fake upstream, the gateway when
`neoclone serve` works, LiteLLM's Router and proxy when LiteLLM is installed), and
checks what it reports, never how fast anything was: timings belong in
docs/benchmarks.md, not in assertions.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LITELLM = importlib.util.find_spec("litellm") is not None


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "compare.py"),
            "--tiny",
            "--markdown",
            str(out / "benchmarks.md"),
            "--json",
            str(out / "benchmarks.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "benchmarks.json").read_text()), (out / "benchmarks.md").read_text()


@pytest.mark.slow
def test_the_floor_and_the_engine_are_measured_in_every_scenario(report):
    results, _ = report
    for name in ("httpx", "neoclone"):
        (run,) = results["runs"][name]
        assert set(run["scenarios"]) == {"c1", "c50", "stream", "fallback"}
        entry = results["summary"]["contenders"][name]
        assert entry["errors"] == []
        assert entry["rps"] > 0
        assert entry["peak_rss_mib"] > 0


@pytest.mark.slow
def test_every_contender_made_exactly_the_upstream_calls_its_scenarios_ask_for(report):
    results, _ = report
    for name, entry in results["summary"]["contenders"].items():
        assert entry["errors"] == [], name
        assert entry["calls_wrong"] == [], name


@pytest.mark.slow
def test_what_cannot_run_here_is_reported_with_a_reason(report):
    results, _ = report
    ran = set(results["runs"])
    for name in ("neoclone-gateway", "litellm-proxy"):
        status = results["servers"][name]
        assert status["available"] == (name in ran)
        assert status["available"] or status["reason"]
    if LITELLM:
        assert {"litellm-router", "litellm-proxy"} <= ran
        assert results["summary"]["vs_litellm"]["neoclone vs litellm-router"]["rps"] > 0
    else:
        assert "litellm-router" not in ran
        assert "not installed" in results["servers"]["litellm-router"]["reason"]


@pytest.mark.slow
def test_the_markdown_report_names_the_machine_the_command_and_the_aims(report):
    results, markdown = report
    assert "<!-- bench:begin" in markdown
    assert "<!-- bench:end -->" in markdown
    assert results["machine"]["cpu"] in markdown
    assert "python bench/compare.py --tiny" in markdown
    assert [aim["aim"] for aim in results["summary"]["aims"]] == [
        "added latency p50, concurrency 1",
        "fallback beyond the failed call",
        "requests/s at concurrency 50, against raw httpx",
        "`import neoclone_core`",
    ]
    for aim in results["summary"]["aims"]:
        assert aim["aim"] in markdown
