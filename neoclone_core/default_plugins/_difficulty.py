"""How hard a request is for a model: a number in [0, 1] with its reason, so that the
ranking can keep the strongest (scarcest) free models for hard requests and serve easy
ones from abundant quota.

No public set we may train on labels difficulty across task kinds (MATH's levels ship only
as Git LFS objects, which the snapshots we read lack), so difficulty is a documented
combination instead: what kind of task the learned classifier sees, plus signs of depth
that cost nothing to find (advanced mathematics, a whole system to build, length,
explicit constraints).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from neoclone_core.default_plugins._features import CJK, sample

_ADVANCED_MATH = re.compile(
    r"d[yx]\s*/\s*d[xt]|∫|∑|∂|\\frac|\\int|\b(?:derivative|integral|integrate|differential|"
    r"general solution|eigen\w*|matri(?:x|ces)|theorem|prove|proof|lemma|limit of|"
    r"converge\w*|polynomial|logarithm|probability|combinatori\w*|modulo|prime factor\w*|"
    r"dérivée|intégrale|démontre\w*|prouve\w*|derivada|integral|demuestra\w*|demonstre\w*|"
    r"ableitung|beweise\w*|wahrscheinlichkeit)\b|导数|积分|微分|证明|极限|概率|矩阵",
    re.IGNORECASE,
)
_BIG_BUILD = re.compile(
    r"\b(?:system|compiler|interpreter|engine|database|operating system|kernel|emulator|"
    r"version control|framework|from scratch|distributed|concurren\w*|multithread\w*|"
    r"lock-free|garbage collector|virtual machine|protocol|scheduler|optimi[sz]e\w*|"
    r"architecture|scalab\w*|compilateur|sistema|système|compilador)\b|"
    r"编译器|操作系统|分布式|并发|系统",
    re.IGNORECASE,
)
_CONSTRAINT = re.compile(
    r"\b(?:must|exactly|at least|at most|without using|step by step|each|every|"
    r"ensure|constraint\w*|O\([^)]*\))\b",
    re.IGNORECASE,
)
EASY, HARD = 0.35, 0.65


def difficulty(text: str, ranked: Mapping[str, float]) -> tuple[float, str]:
    """How hard `text` is for a model, in [0, 1], and why, given the learned labels'
    probabilities (`ranked`): below 0.35 "easy" (a small free model will do), from 0.65
    "hard" (keep it for the strongest ones).

    Reasoning and code weigh most (they are where small models fail first); advanced
    mathematics (a differential equation, a proof) or a whole system to build (a compiler,
    a version control system) makes either hard; length and explicit constraints add a
    little; small talk and a short sum stay easy."""
    head = sample(text)
    score = 0.1 + 0.3 * ranked.get("reasoning", 0.0) + 0.25 * ranked.get("code", 0.0)
    why = [_main_kind(ranked)]
    if math_term := _ADVANCED_MATH.search(head):  # hard, whatever the classifier reads
        score = max(HARD, score + 0.35 + 0.1 * ranked.get("reasoning", 0.0))
        why.append(f"advanced mathematics ({math_term.group(0)!r})")
    if (build := _BIG_BUILD.search(head)) and ranked.get("code", 0.0) > 0.3:
        score += 0.35
        why.append(f"a whole system to build ({build.group(0)!r})")
    words = len(head.split()) + len(CJK.findall(head)) // 2
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
