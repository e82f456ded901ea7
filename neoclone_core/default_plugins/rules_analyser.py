"""The rule analyser: what a request needs from keyword and shape rules alone, the
default analysis before the learned classifier (issue 13).

Deterministic and instant, no weights to load. Registered as the `rules-analyser` entry
point beside `default-analyser`; while both are installed the default answers first, so a
user chooses the rules by blocking `default-analyser` (`disabled = ["default-analyser"]`
in the configuration, or `build_plugins(disabled=["default-analyser"])`). Like the
default, it runs last, so any other analyser plugin still goes first.

Measured on the hand-labelled requests in tests/data (its rules were tuned on them) and on
public benchmark prompts it never saw (docs/recommendations.md, "Task analysis").
"""

from __future__ import annotations

from neoclone_core.default_plugins._detect import Clues, Finding, Level
from neoclone_core.default_plugins._rules import (
    capabilities,
    context_reason,
    findings,
    is_long,
)
from neoclone_core.default_plugins._sizing import ContextNeed, estimate_context
from neoclone_core.default_plugins.analyser import CATEGORIES
from neoclone_core.hookspecs import hookimpl
from neoclone_core.models import TaskProfile


def analyse_task(text: str) -> TaskProfile:
    """The rule-only task profile of `text`, every conclusion explained in `reasons`."""
    clues = Clues.of(text)
    found = findings(clues)
    need = estimate_context(text, clues.head)
    return TaskProfile(
        text=text,
        required=capabilities(found, Level.REQUIRED),
        preferred=capabilities(found, Level.PREFERRED),
        categories=_categories(found, need),
        min_context=need.total,
        wants_streaming=any(f.name == "streaming" for f in found),
        reasons=_reasons(found, need),
    )


def _categories(found: list[Finding], need: ContextNeed) -> tuple[str, ...]:
    """The kinds of task found, in `CATEGORIES` order; "chat" when there is none (the
    rules cannot tell small talk from a factual question)."""
    names = {f.name for f in found} - {"streaming"}
    if is_long(need):
        names.add("long_context")
    if not names - {"multilingual"}:
        names.add("chat")
    return tuple(c for c in CATEGORIES if c in names)


def _reasons(found: list[Finding], need: ContextNeed) -> tuple[str, ...]:
    reasons = [f.reason for f in found]
    if context := context_reason(need):
        reasons.append(context)
    if not reasons:
        reasons.append("chat: no special capability detected")
    return tuple(reasons)


@hookimpl(trylast=True)
def neoclone_analyse_task(text: str) -> TaskProfile:
    """The rule analysis; runs last, so any other analyser plugin goes first."""
    return analyse_task(text)
