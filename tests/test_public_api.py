"""The public surface: what `neoclone_core` exports, and that importing it does nothing."""

from __future__ import annotations

import subprocess
import sys

import neoclone_core


def test_exported_members_are_sorted_and_all_importable() -> None:
    assert neoclone_core.__all__ == sorted(
        neoclone_core.__all__, key=lambda n: (not n.isupper(), n)
    )
    for name in neoclone_core.__all__:
        assert getattr(neoclone_core, name) is not None, name


def test_every_exported_class_says_what_it_is_for() -> None:
    undocumented = [
        name
        for name in neoclone_core.__all__
        if callable(getattr(neoclone_core, name)) and not getattr(neoclone_core, name).__doc__
    ]
    assert undocumented == []


def test_importing_the_core_loads_no_plugin_and_opens_no_socket() -> None:
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise AssertionError('network at import')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import neoclone_core\n"
        "prefix = 'neoclone_core.default_plugins.'\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(prefix))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
