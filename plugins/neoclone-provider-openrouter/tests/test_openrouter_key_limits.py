"""The account's daily ceiling read from OpenRouter's key endpoint (`GET /api/v1/key`)
reaches the usage ledger: every free model's call is claimed once, in the account's
windows, against that ceiling (1,000 a day once 10 credits were bought), not against a
limit of each model's own.

The `/key` answer is OpenRouter's documented shape (see fixtures/README.md), not a
recording: no recording of this endpoint exists in the shared set."""

from __future__ import annotations

from pathlib import Path

import neoclone_provider_openrouter as openrouter
import pytest

from neoclone_core.testing import RecordingServer, Reply, neoclone_with
from neoclone_core.testing.helpers import chat_completion

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "sk-or-v1-" + "fedcba9876543210" * 4


async def test_the_accounts_ceiling_is_claimed_once_for_every_free_model(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.route(
        "GET", "/api/v1/models", Reply.json_file(FIXTURES / "openrouter-models-2025-05.json")
    )
    server.route(
        "GET", "/api/v1/key", Reply.json_file(FIXTURES / "openrouter-key-credits-bought.json")
    )
    server.route("POST", "/api/v1/chat/completions", Reply(body=chat_completion("ok")))
    env = {"OPENROUTER_API_KEY": KEY}

    running = neoclone_with(openrouter, tmp_path, base_url=f"{server.url}/api/v1", env=env)
    async with running:
        await running.discover()
        free = sorted(m.id for m in running.models() if m.free)[:2]
        for model in free:
            await running.chat("hi", models=[model])
        report = running.quota()

    account = [w for w in report["windows"] if w["model"] is None]
    assert {(w["window"], w["requests"]["limit"], w["requests"]["used"]) for w in account} == {
        ("minute", 20, 2),
        ("day-utc", 1000, 2),
    }
    assert all(w["requests"]["limit"] is None for w in report["windows"] if w["model"])
    assert KEY not in repr(report)
