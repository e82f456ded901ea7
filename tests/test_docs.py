"""The hook reference stays true: every hook documented with its exact signature, and
every hook exercised by a test named after it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from neoclone_core import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name in vars(hookspecs) if name.startswith("neoclone_"))


def signature(name: str) -> str:
    """`name(arg: type, ...) -> return`, as the reference writes it."""
    text = str(inspect.signature(getattr(hookspecs, name)))
    return name + text.replace("'", "")


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_in_the_reference_with_its_exact_signature(hook: str) -> None:
    reference = (ROOT / "docs" / "hooks.md").read_text()
    assert f"### `{signature(hook)}`" in reference


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_named_after_it(hook: str) -> None:
    tests = (ROOT / "tests" / "test_hooks.py").read_text()
    assert re.search(rf"def test_\w*{hook}", tests), f"no test named after {hook}"
