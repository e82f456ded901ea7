"""How hard a request is for a model: a number in [0, 1] with its reason, so that the
ranking can keep the strongest (scarcest) free models for hard requests and serve easy
ones from abundant quota.

Two parts. The learned head (`_classifier.Model.read`, a linear regression over the
classifier's features) is calibrated on public data graded by its authors: MATH's levels
1-5 (competition mathematics), GSM8K as moderate, SVAMP, CoNaLa snippets, small talk and
simple factual questions as easy (scripts/analyser/difficulty_targets.py). No source
grades code or writing as hard, so rules add what is cheap to see: advanced mathematics
(a proof, a differential equation) or a whole system to build make a request hard; a long
technical request, several parts and explicit constraints add to it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from neoclone_core.default_plugins._features import CJK
from neoclone_core.default_plugins._lexicon import FOLDED

_ADVANCED_MATH = re.compile(
    r"d[yx]\s*/\s*d[xt]|∫|∑|∂|\\frac|\\int|\b(?:derivative|integral|integrate|differential|"
    r"general solution|eigen\w*|matri(?:x|ces)|theorem|prove|proof|lemma|limit of|"
    r"converge\w*|polynomial|logarithm|probability|combinatori\w*|modulo|prime factor\w*|"
    r"dérivée|intégrale|démontre\w*|prouve\w*|derivada|integral|demuestra\w*|demonstre\w*|"
    r"ableitung|beweise\w*|wahrscheinlichkeit)\b|导数|积分|微分|证明|极限|概率|矩阵",
    FOLDED,
)
_BIG_BUILD = re.compile(
    r"\b(?:system|compiler|interpreter|engine|database|operating system|kernel|emulator|"
    r"version control|framework|from scratch|distributed|concurren\w*|multithread\w*|"
    r"lock-free|garbage collector|virtual machine|protocol|scheduler|optimi[sz]e\w*|"
    r"architecture|scalab\w*|compilateur|sistema|système|compilador)\b|"
    r"编译器|操作系统|分布式|并发|系统",
    FOLDED,
)
_CONSTRAINT = re.compile(
    r"\b(?:must|exactly|at least|at most|without using|step by step|each|every|"
    r"ensure|constraint\w*|o\([^)]*\))\b",
    FOLDED,
)
_PART = re.compile(r"(?m)^\s*(?:\d+[.)]|[-*•])\s+|\?(?=\s|$)|？")  # noqa: RUF001
EASY, HARD = 0.35, 0.65
MODERATE = 0.5  # what a long, technical request is at least
TECHNICAL = ("code", "reasoning")


def difficulty(
    low: str, ranked: Mapping[str, float], learned: float | None = None
) -> tuple[float, str]:
    """How hard a request is for a model, in [0, 1], and why, from what the rules read of
    it (`low`: `Clues.low`, lowercased, head and tail of a long text), the learned labels'
    probabilities (`ranked`) and the learned head's reading (`learned`; None: a formula
    of the labels stands in): below 0.35 "easy" (a small free model will do), from 0.65
    "hard" (keep it for the strongest ones).

    Advanced mathematics (a differential equation, a proof) or a whole system to build
    (a compiler, a version control system) makes a request hard; a long technical
    request (code or maths, over 60 words or in several parts) is at least moderate;
    length and explicit constraints add a little; small talk and a short sum stay easy."""
    head = low
    technical = sum(ranked.get(label, 0.0) for label in TECHNICAL)
    if learned is None:
        score = 0.1 + 0.3 * ranked.get("reasoning", 0.0) + 0.25 * ranked.get("code", 0.0)
        why = [_main_kind(ranked)]
    else:
        score = learned
        why = [f"learned {learned:.2f}", _main_kind(ranked)]
    if math_term := _ADVANCED_MATH.search(head):  # hard, whatever the classifier reads
        score = max(HARD, score + 0.15)
        why.append(f"advanced mathematics ({math_term.group(0)!r})")
    if (build := _BIG_BUILD.search(head)) and ranked.get("code", 0.0) > 0.3:
        score = max(HARD, score + 0.2)
        why.append(f"a whole system to build ({build.group(0)!r})")
    words = len(head.split()) + len(CJK.findall(head)) // 2
    parts = len(_PART.findall(head))
    if technical >= 0.5 and (words > 60 or parts >= 3):
        score = max(MODERATE, score)
        why.append(f"a long technical request ({parts} parts)")
    if words > 40:
        score += min(0.15, 0.05 * math.log2(words / 40))
        why.append(f"long request (~{words} words)")
    if (constraints := len(_CONSTRAINT.findall(head))) >= 2:
        score += min(0.1, 0.03 * constraints)
        why.append(f"{constraints} explicit constraints")
    score = round(min(1.0, max(0.0, score)), 3)
    band = "easy" if score < EASY else "hard" if score >= HARD else "moderate"
    return score, f"{band}: {', '.join(why)}"


def _main_kind(ranked: Mapping[str, float]) -> str:
    label, p = max(ranked.items(), key=lambda lp: lp[1])
    return f"{label} request (p={p:.2f})"
