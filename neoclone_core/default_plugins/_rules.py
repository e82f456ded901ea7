"""The rules both default analysers share: every detector run in dependency order, and
the capabilities and reasons they conclude.

Deterministic and instant (keyword and shape rules in six languages, `_detect.py`). The
rule analyser (`rules_analyser.py`) is these rules alone; the default analyser
(`analyser.py`) keeps the strong ones (an image, the language, the size, an explicit
request to act, a streamed answer, code and maths that show) and lets the learned
classifier decide the task kinds.
"""

from __future__ import annotations

from neoclone_core.default_plugins import _detect as detect
from neoclone_core.default_plugins._detect import Clues, Finding, Level
from neoclone_core.default_plugins._sizing import ContextNeed
from neoclone_core.models import Capability

CAPABILITIES = {
    "code": Capability.CODE,
    "reasoning": Capability.REASONING,
    "vision": Capability.VISION,
    "tools": Capability.TOOLS,
}
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


def capabilities(found: list[Finding], level: Level) -> frozenset[Capability]:
    """The capabilities found at `level`."""
    return frozenset(CAPABILITIES[f.name] for f in found if f.level is level)


def is_long(need: ContextNeed) -> bool:
    """Whether the material to read is larger than small context windows hold."""
    return need.input >= LONG_CONTEXT_TOKENS


def context_reason(need: ContextNeed) -> str | None:
    """Why the context estimate is what it is, when it rests on something."""
    if not need.reason:
        return None
    label = "long_context" if is_long(need) else "context"
    return f"{label}: {need.reason}; needs ~{need.total:,} tokens with the answer"
