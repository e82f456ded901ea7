"""Discovery across every installed provider plugin, against their recordings served on
127.0.0.1 with a delay each: concurrent discovery takes about as long as the slowest
provider, not the sum of them.

RequestRun: python bench/bench_discovery.py [delay_seconds]. It runs the real `neoclone discover
--refresh --json` command in a subprocess, pointed at the recording server, and prints
each provider's outcome, the total time, and the sum a sequential scan would take.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from neoclone_core.testing import RecordingServer, Reply

ROOT = Path(__file__).resolve().parent.parent


def fixture(plugin: str, name: str) -> Path:
    return ROOT / "plugins" / f"neoclone-provider-{plugin}" / "tests" / "fixtures" / name


# provider -> (base path, [(method, path under base, recording)])
LISTINGS = {
    "openrouter": ("/api/v1", [("GET", "/models", "openrouter-models-2025-05.json")]),
    "groq": ("/openai/v1", [("GET", "/models", "groq-models-2025-11.json")]),
    "gemini": ("", [("GET", "/v1beta/models", "gemini-models-2025-12.json")]),
    "github": ("", [("GET", "/catalog/models", "github-models-catalog-2025-05.json")]),
    "huggingface": ("/v1", [("GET", "/models", "hf-router-models-docs-example.json")]),
    "together": ("/v1", [("GET", "/models", "together-models.json")]),
    "mistral": ("/v1", [("GET", "/models", "mistral-models.json")]),
    "cerebras": ("/v1", [("GET", "/models", "cerebras-models.json")]),
    "opencode": ("/zen/v1", [("GET", "/models", "opencode-zen-models.json")]),
    "replicate": (
        "/v1",
        [
            (
                "GET",
                "/collections/language-models",
                "synthetic/replicate-collection-language-models.json",
            )
        ],
    ),
    "ollama": (
        "",
        [
            ("GET", "/api/tags", "ollama-tags-docs-example.json"),
            ("POST", "/api/show", "ollama-show-qwen3.json"),
        ],
    ),
}
KEYS = {
    var: "bench-placeholder"
    for var in (
        "OPENROUTER_API_KEY",
        "GROQ_API_KEY",
        "GEMINI_API_KEY",
        "GITHUB_TOKEN",
        "HF_TOKEN",
        "TOGETHER_API_KEY",
        "MISTRAL_API_KEY",
        "CEREBRAS_API_KEY",
        "OPENCODE_API_KEY",
        "REPLICATE_API_TOKEN",
    )
}


def main(delay: float) -> None:
    with RecordingServer() as server, tempfile.TemporaryDirectory() as home:
        config = ["[providers.local]\nenabled = false\n"]
        for name, (base, routes) in LISTINGS.items():
            for method, path, recording in routes:
                reply = Reply.json_file(fixture(name, recording))
                server.route(
                    method,
                    f"/{name}{base}{path}",
                    Reply(
                        status=reply.status, headers=reply.headers, body=reply.body, delay_s=delay
                    ),
                )
            config.append(f'[providers.{name}]\nbase_url = "{server.url}/{name}{base}"\n')
        Path(home, "neoclone.toml").write_text("".join(config), encoding="utf-8")
        env = {**os.environ, **KEYS, "NEOCLONE_HOME": home, "NEOCLONE_CONFIG": ""}
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "neoclone_core", "discover", "--refresh", "--json"],
            capture_output=True,
            text=True,
            cwd=home,
            env=env,
            check=True,
        )
        total = time.perf_counter() - started
        models = subprocess.run(
            [sys.executable, "-m", "neoclone_core", "models", "--offline", "--free", "--json"],
            capture_output=True,
            text=True,
            cwd=home,
            env=env,
            check=True,
        )
    scans = json.loads(result.stdout)
    free = json.loads(models.stdout)
    for scan in scans:
        count = sum(1 for m in free if m["provider"] == scan["provider"])
        print(
            f"{scan['provider']:<12} {scan['status']:<9} {scan['models']:>4} models"
            f" {count:>4} free  {scan['duration_s']:.2f}s"
        )
    slowest = max(s["duration_s"] for s in scans)
    total_sequential = sum(s["duration_s"] for s in scans)
    print(f"\n{len(scans)} providers, {len(free)} free models")
    print(f"whole command (process start, plugins, scans): {total:.2f}s")
    print(f"slowest provider: {slowest:.2f}s; sum of all providers' scans: {total_sequential:.2f}s")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.5)
