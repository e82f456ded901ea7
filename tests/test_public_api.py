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
    assert printed_by(code) == "[]"


def test_the_library_loads_no_rendering_library_and_no_gateway(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`Neoclone.stats()` as a library call, and a plan, import nothing of rich or of the
    CLI (httpx imports rich on its own where rich is installed, for its command line), nor
    the gateway's server and metrics libraries; importing the core does not even import
    structlog (it is imported on the first log event)."""
    code = (
        "import sys\n"
        "import neoclone_core\n"
        "assert 'structlog' not in sys.modules\n"
        "from pathlib import Path\n"
        "from neoclone_core import Neoclone, Settings, build_plugins\n"
        "from neoclone_core.default_plugins import default_policies\n"
        "plugins = build_plugins(entry_points=False, extra=default_policies())\n"
        f"nc = Neoclone(Settings(home=Path({str(tmp_path)!r})), plugins=plugins, env={{}})\n"
        "before = set(sys.modules)\n"
        "nc.stats()\n"
        "nc.plan(nc.analyse('Write a haiku'))\n"
        "new = set(sys.modules) - before\n"
        "heavy = ('rich', 'starlette', 'uvicorn', 'prometheus_client')\n"
        "ours = [m for m in new if m.split('.')[0] in heavy or m.startswith('neoclone_core.cli')]\n"
        "print(sorted(ours + [m for m in sys.modules if m.split('.')[0] in heavy[1:]]))\n"
    )
    assert printed_by(code) == "[]"


def printed_by(code: str) -> str:
    """What `code` prints, run by this Python in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()
