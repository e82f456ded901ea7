"""The bundled snapshot: readable, honest about where it came from, only free models."""

from __future__ import annotations

import json
from pathlib import Path

from neoclone_core import Source
from neoclone_core.discover.snapshot import snapshot_date, snapshot_models

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
