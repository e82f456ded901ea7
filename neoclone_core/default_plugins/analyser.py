"""The default task analyser: keyword rules, deterministic, no model call, no network.

A first version; it only needs to be right about the capabilities that rule models in
or out (code, reasoning, vision, tools, long context). Replace it by blocking the
`default-analyser` plugin and registering another `neoclone_analyse_task`.
"""

from __future__ import annotations

import re

from neoclone_core._models import Capability, TaskProfile
from neoclone_core.hookspecs import hookimpl

_RULES: tuple[tuple[Capability, re.Pattern[str]], ...] = (
    (
        Capability.CODE,
        re.compile(
            r"\b(code|coding|program\w*|python|javascript|typescript|rust|golang|java|c\+\+|sql|"
            r"function|class|script|debug\w*|refactor\w*|compile\w*|regex|api|bug|stack ?trace)\b",
            re.IGNORECASE,
        ),
    ),
    (
        Capability.REASONING,
        re.compile(
            r"\b(reason\w*|prove|proof|math\w*|calculat\w*|solve|equation|logic\w*|step by step|"
            r"analy[sz]e|deduc\w*|puzzle|theorem)\b",
            re.IGNORECASE,
        ),
    ),
    (
        Capability.VISION,
        re.compile(
            r"\b(image|images|photo\w*|picture\w*|screenshot\w*|diagram|chart|ocr|"
            r"what is in this|describe this (?:image|photo|picture))\b",
            re.IGNORECASE,
        ),
    ),
    (
        Capability.TOOLS,
        re.compile(
            r"\b(tool|tools|function call\w*|agent\w*|call the api|use the api|browse|"
            r"search the web)\b",
            re.IGNORECASE,
        ),
    ),
)
_PAGES = re.compile(r"(\d[\d,]*)[- ]page", re.IGNORECASE)
_TOKENS = re.compile(r"(\d[\d,.]*)\s*(k|m)?[- ]?tokens?\b", re.IGNORECASE)
_TOKENS_PER_PAGE = 500
_CHARS_PER_TOKEN = 4


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _context_needed(text: str) -> tuple[int, str]:
    """Tokens the request needs: its own size plus any document size it mentions."""
    own = len(text) // _CHARS_PER_TOKEN
    mentioned, reason = 0, ""
    if match := _PAGES.search(text):
        mentioned = int(_number(match.group(1)) * _TOKENS_PER_PAGE)
        reason = f"mentions a {match.group(1)}-page document (~{mentioned:,} tokens)"
    if match := _TOKENS.search(text):
        scale = {"k": 1_000, "m": 1_000_000}.get((match.group(2) or "").lower(), 1)
        tokens = int(_number(match.group(1)) * scale)
        if tokens > mentioned:
            mentioned, reason = tokens, f"mentions {tokens:,} tokens of input"
    if own > mentioned:
        return own, f"the request itself is ~{own:,} tokens" if own > 2_000 else ""
    return mentioned, reason


@hookimpl(trylast=True)
def neoclone_analyse_task(text: str) -> TaskProfile:
    """Required capabilities from keyword rules; context from the request's size."""
    required = set()
    reasons = []
    for capability, pattern in _RULES:
        if match := pattern.search(text):
            required.add(capability)
            reasons.append(f"{capability}: the request mentions {match.group(0)!r}")
    min_context, context_reason = _context_needed(text)
    if context_reason:
        reasons.append(f"context: {context_reason}")
    return TaskProfile(
        text=text,
        required=frozenset(required),
        categories=tuple(sorted(c.value for c in required)) or ("chat",),
        min_context=min_context,
        reasons=tuple(reasons),
    )
