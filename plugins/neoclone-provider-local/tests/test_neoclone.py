"""The plugin inside neoclone: registered by its module, discovered, and serving chat."""

from __future__ import annotations

from pathlib import Path

import neoclone_provider_local
import pytest

from neoclone_core import ChatRequest, Neoclone, ScanStatus, Settings, build_plugins
from neoclone_core.default_plugins import default_policies

pytestmark = pytest.mark.anyio


def local_neoclone(home: Path) -> Neoclone:
    plugins = build_plugins(
        entry_points=False,
        extra=[
            *default_policies(),
            ("local", neoclone_provider_local),
        ],
    )
    return Neoclone(Settings(home=home), plugins=plugins, env={})


async def test_neoclone_answers_with_the_local_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(neoclone_provider_local.MODELS_ENV, raising=False)
    async with local_neoclone(tmp_path) as neoclone:
        [scan] = await neoclone.initialize()
        assert (scan.provider, scan.status, scan.models) == ("local", ScanStatus.SCANNED, 1)
        assert "local/smollm2-135m-instruct" in {m.id for m in neoclone.models(free_only=True)}
        request = ChatRequest.from_prompt("Say hello.", max_tokens=8, temperature=0.0)
        response, route = await neoclone.chat(request)
    assert response.content.strip()
    assert route.served_by == "local/smollm2-135m-instruct"
    assert route.attempts[-1].ok
