"""`neoclone discover`, run as a user runs it, against the provider plugins' own test
lists served on 127.0.0.1: the free models it then lists are exactly those the
providers' free tiers make free, and nothing else (no trial-credit, paid or music model).

Each list is the plugin's own fixture (its fixtures/README.md names the recording or
documentation page it comes from). The expected ids are written out by hand from those
files and the providers' documented free tiers.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from neoclone_core.testing import RecordingServer, Reply
from neoclone_core.testing.helpers import run_neoclone

ROOT = Path(__file__).resolve().parents[2]


def fixture(plugin: str, name: str) -> Path:
    return ROOT / "plugins" / f"neoclone-provider-{plugin}" / "tests" / "fixtures" / name


# provider: (base path, list path, fixture, key variable)
LISTS = {
    "nvidia": ("/v1", "/models", fixture("nvidia", "nvidia-models.json"), "NVIDIA_API_KEY"),
    "cloudflare": (
        "/client/v4/accounts/acc1",
        "/ai/models/search",
        fixture("cloudflare", "cloudflare-models-search.json"),
        "CLOUDFLARE_API_TOKEN",
    ),
    "cohere": ("", "/v1/models", fixture("cohere", "cohere-models.json"), "COHERE_API_KEY"),
    "codestral": ("/v1", "", None, "CODESTRAL_API_KEY"),
    "sambanova": (
        "/v1",
        "/models",
        fixture("sambanova", "sambanova-models.json"),
        "SAMBANOVA_API_KEY",
    ),
    "scaleway": ("/v1", "/models", fixture("scaleway", "scaleway-models.json"), "SCW_SECRET_KEY"),
    "nebius": ("/v1", "/models", fixture("nebius", "nebius-models.json"), "NEBIUS_API_KEY"),
    "chutes": ("/v1", "/models", fixture("chutes", "chutes-models.json"), "CHUTES_API_KEY"),
    "vercel": ("/v1", "/models", fixture("vercel", "vercel-models.json"), "AI_GATEWAY_API_KEY"),
    "together": ("/v1", "/models", fixture("together", "together-models.json"), "TOGETHER_API_KEY"),
    "openrouter": (
        "/api/v1",
        "/models",
        fixture("openrouter", "openrouter-models-lyria-2026-10.json"),
        "OPENROUTER_API_KEY",
    ),
}

FREE = {
    "nvidia/meta/llama-3.3-70b-instruct",
    "nvidia/deepseek-ai/deepseek-v3.1",
    "nvidia/qwen/qwen2.5-coder-32b-instruct",
    "nvidia/nvidia/llama-3.1-nemotron-ultra-253b-v1",
    "cloudflare/@cf/openai/gpt-oss-120b",
    "cloudflare/@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    "cloudflare/@cf/meta/llama-3.2-11b-vision-instruct",
    "cohere/command-a-03-2025",
    "cohere/command-a-vision-07-2025",
    "cohere/command-a-reasoning-08-2025",
    "cohere/command-r7b-12-2024",
    "codestral/codestral-latest",
    "vercel/openai/gpt-oss-20b",  # priced at zero; the $5 monthly credit frees nothing
}
"""Not here: SambaNova, Scaleway, Nebius (trial credits), Chutes and Together (paid
only), OpenRouter's zero-priced Lyria music models (text+audio out)."""


def test_discover_lists_the_free_models_of_the_free_tiers_and_nothing_else(
    tmp_path: Path,
) -> None:
    installed = {ep.name for ep in entry_points(group="neoclone")}
    missing = sorted(set(LISTS) - installed)
    if missing:
        pytest.skip(f"plugins not installed: {', '.join(missing)}")
    with RecordingServer() as server:
        lines = []
        for name, (base, path, listing, _) in LISTS.items():
            if listing is not None:
                server.route("GET", f"/{name}{base}{path}", Reply.json_file(listing))
            lines += [f"[providers.{name}]", f'base_url = "{server.url}/{name}{base}"']
        # every other installed plugin stays off: no test touches the network
        for other in sorted(installed - set(LISTS)):
            lines += [f"[providers.{other}]", "enabled = false"]
        (tmp_path / "neoclone.toml").write_text("\n".join(lines) + "\n")
        env = {
            **os.environ,
            "NEOCLONE_HOME": str(tmp_path / "home"),
            "NEOCLONE_CONFIG": str(tmp_path / "neoclone.toml"),
            "NO_COLOR": "1",
            **{key: "test-key-0123456789abcdef" for *_, key in LISTS.values()},
        }

        scanned = run_neoclone("discover", "--refresh", "--json", env=env, cwd=tmp_path)
        listed = run_neoclone("models", "--free", "--offline", "--json", env=env, cwd=tmp_path)

    assert scanned.returncode == 0, scanned.stderr
    scans = {s["provider"]: s for s in json.loads(scanned.stdout)}
    assert {n for n, s in scans.items() if s["status"] == "scanned"} == set(LISTS)
    assert listed.returncode == 0, listed.stderr
    free = {m["id"] for m in json.loads(listed.stdout)}
    assert free == FREE
