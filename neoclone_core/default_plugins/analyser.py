"""The default task analyser: what a request needs, from its words alone.

Deterministic and instant (keyword and shape rules in six languages, no model call, no
network), so that recommending a model never costs a request of its own. It tells
*required* capabilities (a model without them cannot serve the request: vision for a
photo, tools for "search the web") from *preferred* ones (a model with them does better),
names the kinds of task it sees, estimates the context the request needs, and gives a
reason for everything it concludes.

Measured against the hand-labelled requests in tests/data (figures in
docs/recommendations.md). Replace it by registering another `neoclone_analyse_task`
(blocking `default-analyser`), or refine it: call `analyse_task()` and adjust the profile.
"""

from __future__ import annotations

from neoclone_core._models import Capability, TaskProfile
from neoclone_core.default_plugins import _detect as detect
from neoclone_core.default_plugins._detect import Clues, Finding, Level
from neoclone_core.default_plugins._sizing import ContextNeed, estimate_context
from neoclone_core.hookspecs import hookimpl

CAPABILITIES = {
    "code": Capability.CODE,
    "reasoning": Capability.REASONING,
    "vision": Capability.VISION,
    "tools": Capability.TOOLS,
}
# Every category a profile may name, in the order profiles list them.
CATEGORIES = (
    "code",
    "reasoning",
    "vision",
    "tools",
    "long_context",
    "creative_writing",
    "translation",
    "multilingual",
    "summarisation",
    "data_analysis",
    "chat",
)
LONG_CONTEXT_TOKENS = 8_000  # more than the smallest common context windows hold


def findings(clues: Clues) -> list[Finding]:
    """Everything the detectors find, in dependency order (creative writing before code;
    code, data analysis, summaries and translations before what depends on them)."""
    creative = detect.creative_finding(clues)
    data = detect.data_finding(clues)
    translation = detect.translation_finding(clues)
    summary = detect.summary_finding(clues)
    processes_text = summary is not None or translation is not None
    code = detect.code_finding(clues, creative=creative is not None, processes_text=processes_text)
    found = [
        code,
        detect.reasoning_finding(clues, code, data=data is not None),
        detect.vision_finding(clues),
        detect.tools_finding(clues, code, processes_text=processes_text),
        creative,
        translation,
        detect.multilingual_finding(clues, translation=translation is not None),
        summary,
        data,
        detect.streaming_finding(clues),
    ]
    return _without_tool_vocabulary([f for f in found if f is not None])


def _without_tool_vocabulary(found: list[Finding]) -> list[Finding]:
    """When the model is asked to act ("query our Postgres database and email me"), the
    software words name its tools; they do not make the task about software."""
    acts = any(f.name == "tools" and f.level is Level.REQUIRED for f in found)
    return [f for f in found if not (acts and f.name == "code" and f.level is Level.PREFERRED)]


def analyse_task(text: str) -> TaskProfile:
    """The task profile of `text`, every conclusion explained in `reasons`."""
    clues = Clues.of(text)
    found = findings(clues)
    need = estimate_context(text, clues.head)
    return TaskProfile(
        text=text,
        required=_capabilities(found, Level.REQUIRED),
        preferred=_capabilities(found, Level.PREFERRED),
        categories=_categories(found, need),
        min_context=need.total,
        wants_streaming=any(f.name == "streaming" for f in found),
        reasons=_reasons(found, need),
    )


def _capabilities(found: list[Finding], level: Level) -> frozenset[Capability]:
    return frozenset(CAPABILITIES[f.name] for f in found if f.level is level)


def _categories(found: list[Finding], need: ContextNeed) -> tuple[str, ...]:
    """The kinds of task found, in `CATEGORIES` order; "chat" when there is none."""
    names = {f.name for f in found} - {"streaming"}
    if need.input >= LONG_CONTEXT_TOKENS:
        names.add("long_context")
    if not names - {"multilingual"}:
        names.add("chat")
    return tuple(c for c in CATEGORIES if c in names)


def _reasons(found: list[Finding], need: ContextNeed) -> tuple[str, ...]:
    reasons = [f.reason for f in found]
    if need.reason:
        long = "long_context: " if need.input >= LONG_CONTEXT_TOKENS else "context: "
        reasons.append(f"{long}{need.reason}; needs ~{need.total:,} tokens with the answer")
    if not reasons:
        reasons.append("chat: no special capability detected")
    return tuple(reasons)


@hookimpl(trylast=True)
def neoclone_analyse_task(text: str) -> TaskProfile:
    """The default analysis; runs last, so any other analyser plugin goes first."""
    return analyse_task(text)
