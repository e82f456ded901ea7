"""The main job offline: `neoclone run` with every remote provider unreachable still
answers, from the local model, and the route says why each remote model was passed over."""

from __future__ import annotations

import json
import os
from pathlib import Path

from neoclone_core import build_plugins
from neoclone_core.testing.helpers import run_neoclone

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused


def test_neoclone_run_with_every_remote_provider_down_answers_from_the_local_model(
    tmp_path: Path,
) -> None:
    remote = sorted(set(build_plugins().providers()) - {"local"})
    assert len(remote) >= 5  # the bundled provider plugins are installed beside this one
    config = "".join(f'[providers.{name}]\nbase_url = "{UNREACHABLE}"\n' for name in remote)
    (tmp_path / "neoclone.toml").write_text(config, encoding="utf-8")
    keys = {var: "sk-test-unused-0000000000" for var in ("OPENROUTER_API_KEY", "GROQ_API_KEY")}
    env = {**os.environ, **keys, "NEOCLONE_HOME": str(tmp_path / "home"), "NEOCLONE_CONFIG": ""}
    result = run_neoclone(
        "run", "Say hello in five words", "--json", env=env, cwd=tmp_path, timeout_s=300
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["served_by"].startswith("local/")
    assert report["answer"].strip()
    attempts = report["route"]["attempts"]
    assert attempts[-1]["model"] == report["served_by"]
    assert attempts[-1]["outcome"] == "ok"
    failed = [a for a in attempts if a["outcome"] != "ok"]
    assert failed, "the remote models of the plan were tried first"
    assert {a["error_kind"] for a in failed} <= {"missing_api_key", "unavailable", "skipped", ""}
    assert all(a["error"] for a in failed)  # every skip or failure says why
    assert "sk-test-unused" not in result.stdout + result.stderr
