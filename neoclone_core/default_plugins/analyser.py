"""The default task analyser: what a request needs, from its words alone, by cheap strong
rules and a learned classifier together.

- **Rules** (`_rules.py`, `_detect.py`) conclude what shows on the surface: an image the
  request supplies (vision), an explicit request to act or to use tools, the language and
  script, the size of the material (long context), a streamed answer, and the
  capabilities code and reasoning *require* (pasted code, an equation) or merely prefer.
- **The learned classifier** (`_classifier.py`, trained on public labelled requests)
  decides the kinds of task that need reading the words: code, reasoning,
  creative_writing, extraction, knowledge, translation, and chat for small talk.

Categories come main need first: vision, tools the model must use and translation (all by
rules), then code or reasoning the rules require (code or an equation that shows), then
the learned labels, then long_context and multilingual.
`difficulty` is a number in [0, 1] (`_difficulty.py`). Each reason says which part
concluded it: "(rules)" or "(learned, p=...)".

Deterministic, no network; the weights load on the first analysis, not at import.
Replace it by registering another `neoclone_analyse_task` (it runs last), choose the
rules alone by blocking `default-analyser` (the `rules-analyser` plugin then answers), or
refine it: call `analyse_task()` and adjust the profile. Figures: docs/recommendations.md.
"""

from __future__ import annotations

from neoclone_core.default_plugins._classifier import Model, load_model
from neoclone_core.default_plugins._detect import Clues, Finding, Level
from neoclone_core.default_plugins._difficulty import difficulty
from neoclone_core.default_plugins._rules import (
    capabilities,
    context_reason,
    findings,
    is_long,
)
from neoclone_core.default_plugins._sizing import estimate_context
from neoclone_core.hookspecs import hookimpl
from neoclone_core.models import Capability, TaskProfile

# Every category a profile may name (a profile lists its own main need first).
CATEGORIES = (
    "vision",
    "tools",
    "code",
    "reasoning",
    "creative_writing",
    "translation",
    "extraction",
    "knowledge",
    "data_analysis",  # the rule analyser only: the learned one reads it as reasoning
    "long_context",
    "multilingual",
    "chat",
)
# Rule findings that always name a category, before the learned ones: an image, an
# explicit request to act, a request to translate (the rules read "translate" in six
# languages; the classifier, trained on few non-English requests, sees translation in
# many requests that are merely not in English, so its own guess does not count).
LEADING = ("vision", "tools", "translation")
RULE_OWNED = frozenset({"translation"})
# Rule findings of these kinds name a category only at REQUIRED level: code that shows,
# maths that shows. A word about software alone is left to the classifier.
CONFIRMED = ("code", "reasoning")
# Kinds the rules name whenever they find them: a poem, a story, a joke (in six languages).
CONFIRMED_KINDS = ("creative_writing",)
LEARNED_PREFERS = {"code": Capability.CODE, "reasoning": Capability.REASONING}


def analyse_task(text: str, model: Model | None = None) -> TaskProfile:
    """The task profile of `text`, every conclusion explained in `reasons`; `model` is
    the shipped classifier unless another is given (the evaluation script's)."""
    clues = Clues.of(text)
    found = findings(clues)
    need = estimate_context(text, clues.head)
    model = model or load_model()
    ranked, hardness = model.read(text)
    learned = _unless_contradicted(
        found, model.decide([(label, p) for label, p in ranked if label not in RULE_OWNED])
    )
    categories = _categories(found, [label for label, _p in learned], is_long(need))
    score, why = difficulty(clues.low, dict(ranked), hardness)
    preferred = capabilities(found, Level.PREFERRED) | _learned_preferences(found, learned)
    reasons = [*_rule_reasons(found), *_learned_reasons(found, learned)]
    if context := context_reason(need):
        reasons.append(f"{context} (rules)")
    reasons.append(f"difficulty {score:.2f}, {why}")
    return TaskProfile(
        text=text,
        required=capabilities(found, Level.REQUIRED),
        preferred=preferred,
        categories=categories,
        min_context=need.total,
        wants_streaming=any(f.name == "streaming" for f in found),
        reasons=tuple(reasons),
        difficulty=score,
    )


def _unless_contradicted(
    found: list[Finding], learned: list[tuple[str, float]]
) -> list[tuple[str, float]]:
    """The learned labels, less code where the rules see a creative piece and no sign of
    code at all ("Write a haiku about the sea": the classifier, trained on many "Write a
    function ..." requests, reads the imperative as code)."""
    ruled = {f.name for f in found}
    if "creative_writing" in ruled and "code" not in ruled:
        return [(label, p) for label, p in learned if label != "code"] or learned
    return learned


def _categories(found: list[Finding], learned: list[str], long: bool) -> tuple[str, ...]:
    """Main need first: what the rules are sure of up front, the learned labels in order
    of probability, the kinds the rules confirm, then size and language."""
    required = {f.name for f in found if f.level is Level.REQUIRED}
    present = {f.name for f in found if f.level is Level.PRESENT}
    names = [n for n in LEADING if n in required | (present & RULE_OWNED)]
    names += [n for n in CONFIRMED if n in required]  # code or maths that shows
    names += [n for n in learned if n not in RULE_OWNED]
    names += [n for n in CONFIRMED_KINDS if n in present]
    if long:
        names.append("long_context")
    if "multilingual" in present:
        names.append("multilingual")
    if "chat" in names and set(names) - {"chat", "multilingual"}:
        names.remove("chat")  # small talk is no need beside another one
    return tuple(dict.fromkeys(names))


def _learned_preferences(
    found: list[Finding], learned: list[tuple[str, float]]
) -> frozenset[Capability]:
    """Code or reasoning the classifier sees and the rules did not name at all."""
    ruled = {f.name for f in found}
    return frozenset(
        LEARNED_PREFERS[label]
        for label, _p in learned
        if label in LEARNED_PREFERS and label not in ruled
    )


def _rule_reasons(found: list[Finding]) -> list[str]:
    return [f"{f.reason} (rules)" for f in found]


def _learned_reasons(found: list[Finding], learned: list[tuple[str, float]]) -> list[str]:
    ruled = {f.name for f in found}
    reasons = []
    for rank, (label, p) in enumerate(learned):
        what = "the main kind of task" if rank == 0 else "also likely"
        prefers = " (preferred)" if label in LEARNED_PREFERS and label not in ruled else ""
        reasons.append(f"{label}{prefers}: {what} (learned, p={p:.2f})")
    return reasons


@hookimpl(trylast=True)
def neoclone_analyse_task(text: str) -> TaskProfile:
    """The default analysis; runs last, so any other analyser plugin goes first."""
    return analyse_task(text)
