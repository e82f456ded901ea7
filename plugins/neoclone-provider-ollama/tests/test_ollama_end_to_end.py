"""The Ollama plugin inside a whole `Neoclone`: discovery, listing and one chat against
the recorded answers on 127.0.0.1, and a scan with no Ollama running at all."""

from __future__ import annotations

from pathlib import Path

import neoclone_provider_ollama as ollama
import pytest

from neoclone_core.testing import RecordingServer, Reply, neoclone_with
from neoclone_core.testing.helpers import closed_port_url

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"


async def test_neoclone_discovers_lists_and_runs_ollama_models(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route("GET", "/api/tags", Reply.json_file(FIXTURES / "ollama-tags-docs-example.json"))
    server.route(
        "POST", "/api/show", lambda _: Reply.json_file(FIXTURES / "ollama-show-qwen3.json")
    )
    server.route("POST", "/api/chat", Reply.json_file(FIXTURES / "ollama-chat-docs-example.json"))

    async with neoclone_with(ollama, tmp_path, base_url=server.url) as neoclone:
        [scan] = await neoclone.discover()
        free = neoclone.models(free_only=True)
        response, route = await neoclone.chat("Hello", models=["ollama/llama3.2:latest"])

    assert (scan.provider, str(scan.status), scan.models) == ("ollama", "scanned", 2)
    assert [m.id for m in free] == ["ollama/deepseek-r1:latest", "ollama/llama3.2:latest"]
    assert response.content == "Hello! How are you today?"
    assert route.served_by == "ollama/llama3.2:latest"
    assert server.requests[-1].json()["model"] == "llama3.2:latest"


async def test_no_ollama_running_fails_the_scan_with_one_clear_line(tmp_path: Path) -> None:
    url = closed_port_url()

    async with neoclone_with(ollama, tmp_path, base_url=url) as neoclone:
        [scan] = await neoclone.discover()
        models = neoclone.models(provider="ollama")

    assert (scan.provider, str(scan.status)) == ("ollama", "failed")
    assert f"Ollama is not running at {url}" in scan.message
    assert "\n" not in scan.message
    assert all(m.source != "live" for m in models)  # at most the bundled snapshot's entries
