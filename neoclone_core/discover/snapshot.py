"""The catalog snapshot bundled with the package, for the offline first run.

A dated JSON file of free models made by `scripts/build_snapshot.py` from the
providers' own discovery code run over recorded model lists. It is read once, lazily,
and every model from it is marked `Source.SNAPSHOT` so listings say it may be old.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import attrs

from neoclone_core.discover.serialize import model_from_dict
from neoclone_core.log import log
from neoclone_core.models import ModelInfo, Source

SNAPSHOT_FILE = "snapshot.json"


@functools.cache
def _snapshot_document() -> dict[str, Any]:
    text = resources.files("neoclone_core.data").joinpath(SNAPSHOT_FILE).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def snapshot_date() -> str:
    """When the snapshot's data was recorded: a date, or the range of its providers'."""
    document = _snapshot_document()
    dates = sorted(str(d) for d in document.get("recorded", {}).values())
    if dates and dates[0] != dates[-1]:
        return f"{dates[0]} to {dates[-1]}"
    return str(document.get("snapshot_date", "unknown"))


def snapshot_built() -> str:
    """When the snapshot was last rebuilt from the recordings (a date), "unknown" for a
    snapshot older than this field."""
    return str(_snapshot_document().get("built", "unknown"))


@functools.cache
def _snapshot_models() -> tuple[ModelInfo, ...]:
    models = []
    for entry in _snapshot_document().get("models", []):
        try:
            models.append(attrs.evolve(model_from_dict(entry), source=Source.SNAPSHOT))
        except (KeyError, ValueError, TypeError) as exc:
            log.warning("neoclone.snapshot_entry_invalid", entry=str(entry)[:80], error=str(exc))
    return tuple(models)


def snapshot_models() -> list[ModelInfo]:
    """Every model in the bundled snapshot, marked as coming from it."""
    return list(_snapshot_models())
