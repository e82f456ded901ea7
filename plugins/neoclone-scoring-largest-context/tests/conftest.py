"""Fixtures for the largest-context plugin's tests: settings with a throwaway home, and a
small catalog of models whose context windows span the scale."""

from __future__ import annotations

from pathlib import Path

import pytest

from neoclone_core import ModelInfo, Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def catalog() -> list[ModelInfo]:
    """Free models from 8k to 1M tokens, and one whose context is unknown."""
    sizes = {"tiny": 8_192, "mid": 131_072, "big": 262_144, "huge": 1_048_576, "unknown": None}
    return [
        ModelInfo("p", f"{name}:free", free=True, context_length=size)
        for name, size in sizes.items()
    ]
