"""Rebuild `neoclone_core/data/snapshot.json`, the catalog bundled for the offline first run.

Each installed provider plugin's own discovery code runs against its recorded model
list, served by `neoclone_core.testing.RecordingServer` on 127.0.0.1, exactly as in its
tests; the free models found are written with the date of each recording. Run it after
adding a provider or a newer recording:

    python scripts/build_snapshot.py
"""

from __future__ import annotations

import datetime
import json
import sys
import tempfile
from pathlib import Path

import anyio
import attrs

from neoclone_core import (
    Neoclone,
    ProviderSettings,
    Settings,
    Source,
    build_plugins,
    model_to_dict,
)
from neoclone_core.cli.main import configure_logging
from neoclone_core.testing import RecordingServer, Reply

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "neoclone_core" / "data" / "snapshot.json"


@attrs.frozen
class Recording:
    """Where a provider's recorded model list lives and how its API serves it."""

    recorded: str  # the date the recording was made
    base_path: str  # what the provider's base_url ends with
    routes: tuple[tuple[str, str, str], ...]  # (method, path under base, fixture file)


def _fixture(plugin: str, name: str) -> str:
    return f"plugins/neoclone-provider-{plugin}/tests/fixtures/{name}"


# Only real, dated recordings: documentation examples and synthetic shapes (Together,
# Mistral, Cerebras, OpenCode Zen, the Hugging Face example, and the documented shapes
# of NVIDIA, Cloudflare, Cohere, SambaNova, Scaleway, Nebius, Chutes and Vercel) would
# put models in the snapshot that no provider ever listed. OpenRouter's later recording
# (the two Lyria entries of 2026-10-04) is an excerpt, not a whole list. Ollama's models
# are the user's own, never bundled.
RECORDINGS = {
    "openrouter": Recording(
        "2025-05-23",
        "/api/v1",
        (("GET", "/models", _fixture("openrouter", "openrouter-models-2025-05.json")),),
    ),
    "groq": Recording(
        "2025-11-17",
        "/openai/v1",
        (("GET", "/models", _fixture("groq", "groq-models-2025-11.json")),),
    ),
    "gemini": Recording(
        "2025-12-23",
        "",
        (("GET", "/v1beta/models", _fixture("gemini", "gemini-models-2025-12.json")),),
    ),
    "github": Recording(
        "2025-05-17",
        "",
        (("GET", "/catalog/models", _fixture("github", "github-models-catalog-2025-05.json")),),
    ),
}


async def build() -> dict[str, object]:
    with RecordingServer() as server, tempfile.TemporaryDirectory() as home:
        providers = {}
        for name, recording in RECORDINGS.items():
            prefix = f"/{name}{recording.base_path}"
            for method, path, fixture in recording.routes:
                server.route(method, prefix + path, Reply.json_file(ROOT / fixture))
            providers[name] = ProviderSettings(base_url=server.url + prefix)
        plugins = build_plugins()
        for other in set(plugins.providers()) - set(RECORDINGS):  # no network, ever
            providers[other] = ProviderSettings(enabled=False)
        settings = Settings(home=Path(home), providers=providers)
        # keyed providers list models only with a key; the local server accepts any
        env = {p.api_key_env: "placeholder" for p in plugins.providers().values() if p.api_key_env}
        async with Neoclone(settings, plugins=plugins, env=env) as neoclone:
            scans = await neoclone.discover(refresh=True)
            missing = sorted(set(RECORDINGS) - set(neoclone.provider_names))
            if missing:
                sys.exit(f"install the plugins of {', '.join(missing)} first")
            for scan in (s for s in scans if s.provider in RECORDINGS):
                print(f"{scan.provider:<12} {scan.status.value:<8} {scan.models:>4} models")
            models = [m for m in neoclone.models(free_only=True) if m.provider in RECORDINGS]
    return {
        "snapshot_date": max(r.recorded for r in RECORDINGS.values()),
        "built": datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
        "recorded": {name: r.recorded for name, r in sorted(RECORDINGS.items())},
        "note": "Free models found by each provider plugin in its recorded model list.",
        "models": [
            {
                **model_to_dict(m),
                "source": Source.SNAPSHOT.value,
                "discovered_at": _epoch(RECORDINGS[m.provider].recorded),
            }
            for m in models
        ],
    }


def _epoch(day: str) -> float:
    return datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.timezone.utc).timestamp()


def main() -> None:
    configure_logging(0)
    document = anyio.run(build)
    SNAPSHOT.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(document['models'])} free models to {SNAPSHOT.relative_to(ROOT)}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
