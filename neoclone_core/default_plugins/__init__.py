"""neoclone's default policies, each registered through the `neoclone` entry-point group
exactly like a third-party plugin, so each can be blocked by name and replaced."""

from __future__ import annotations

from types import ModuleType


def default_policies() -> list[tuple[str, ModuleType]]:
    """The default policies under their entry-point names, for a plugin manager built
    without entry points (tests, benchmarks, a host application that fixes its plugins):
    ``build_plugins(entry_points=False, extra=[*default_policies(), ...])``."""
    from neoclone_core.default_plugins import analyser, fallback, scoring, selection

    return [
        ("default-analyser", analyser),
        ("default-scoring", scoring),
        ("default-selection", selection),
        ("default-fallback", fallback),
    ]
