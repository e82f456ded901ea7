"""The bundled snapshot: readable, honest about where it came from, only free models."""

from __future__ import annotations

import json
from pathlib import Path

from neoclone_core import Source
from neoclone_core.discover.snapshot import snapshot_built, snapshot_date, snapshot_models

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = json.loads((ROOT / "neoclone_core" / "data" / "snapshot.json").read_text())


def test_every_snapshot_entry_loads_as_a_free_model_marked_as_snapshot() -> None:
    models = snapshot_models()
    assert len(models) == len(DOCUMENT["models"]) > 0
    assert all(m.free for m in models)
    assert {m.source for m in models} == {Source.SNAPSHOT}


def test_every_snapshot_provider_has_a_plugin_and_a_recording_date() -> None:
    providers = {m.provider for m in snapshot_models()}
    assert providers == set(DOCUMENT["recorded"])
    for provider in providers:
        assert (ROOT / "plugins" / f"neoclone-provider-{provider}").is_dir(), provider


def test_the_snapshot_date_spans_its_recordings() -> None:
    dates = sorted(DOCUMENT["recorded"].values())
    assert snapshot_date() == f"{dates[0]} to {dates[-1]}"


def test_snapshot_models_carry_their_recording_time() -> None:
    by_provider = {m.provider: m.discovered_at for m in snapshot_models()}
    assert all(at > 1.7e9 for at in by_provider.values())  # 2023-11 or later, not zero


def test_the_snapshot_says_when_it_was_rebuilt_after_its_recordings() -> None:
    assert snapshot_built() == DOCUMENT["built"]
    assert snapshot_built() >= max(DOCUMENT["recorded"].values())  # ISO dates compare


def test_the_snapshot_holds_chat_models_only() -> None:
    """The chat rules applied when it was built: no base, guard or music model is free."""
    names = {m.name for m in snapshot_models()}
    assert "deepseek/deepseek-v3-base:free" not in names
    assert "meta-llama/llama-3.1-405b:free" not in names
    assert not any("lyria" in name or "guard" in name for name in names)
