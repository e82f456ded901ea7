"""How hard each training request is, for the analyser's difficulty head
(scripts/train_analyser.py): a number in [0, 1], below 0.35 easy, from 0.65 hard.

Two sources grade difficulty item by item: MATH, whose authors grade every problem from
level 1 to 5 (the 500-problem subset in `build_data.math500`), and Exercism, whose tracks
rate every practice exercise from 1 to 10 (`graded_sources.exercism`). Every other source is
graded as a whole, by what its authors say it is: GSM8K "grade school math" problems
taking 2 to 8 steps (moderate, as MGSM, their translation), SVAMP one-step elementary
problems (easy to moderate), HumanEval hand-written programming problems (moderate),
CoNaLa one-line Stack Overflow snippets (easy), small talk and simple factual questions
(easy), ClassEval class-level tasks (hard: built to be harder than function-level tasks,
on which most models fail), GAOKAO-Bench exam questions (maths and physics moderate to
hard, other subjects easy to moderate). No source grades writing as hard; the analyser's
rules add what is cheap to see (`_difficulty.py`: a whole system to build, advanced
mathematics).
"""

from __future__ import annotations

from typing import Any

# MATH is "challenging competition mathematics" (its authors): moderate at level 1, hard
# from level 3 (the issue's own examples of hard requests start with competition maths).
MATH_LEVELS = {1: 0.55, 2: 0.65, 3: 0.75, 4: 0.85, 5: 0.95}
BY_SOURCE = {
    "gsm8k": 0.5,
    "mgsm": 0.5,
    "svamp": 0.3,
    "humaneval": 0.5,
    "conala": 0.25,
    "xquad_question": 0.15,
    "xquad_passage": 0.2,
    "awesome_prompts": 0.3,
    "prompts_zh": 0.3,
    "translation_built": 0.2,
    "writing_built": 0.25,
    "classeval": 0.8,
}
# Sources of several kinds: graded by the kind (their label).
BY_SOURCE_LABEL = {
    ("gpteacher", "code"): 0.45,
    ("gpteacher", "creative_writing"): 0.25,
    ("chatterbot", "chat"): 0.05,
    ("chatterbot", "knowledge"): 0.1,
    ("chatterbot", "code"): 0.15,
    ("gaokao", "reasoning"): 0.6,
    ("gaokao", "knowledge"): 0.3,
    ("gaokao", "extraction"): 0.35,
}


def exercism_grade(rating: int) -> float:
    """An Exercism rating (1 trivial ... 10 hardest of the track) in [0.25, 0.85]."""
    return 0.25 + (min(max(rating, 1), 10) - 1) * 0.6 / 9


BY_LABEL = {  # T0 / P3 templates and self-instruct seed tasks
    "reasoning": 0.4,
    "code": 0.35,
    "creative_writing": 0.25,
    "extraction": 0.2,
    "knowledge": 0.15,
    "translation": 0.2,
    "chat": 0.05,
}


def target(row: dict[str, Any]) -> float:
    """The difficulty of training row `row` (its source's grade, or MATH's level)."""
    if row["source"] == "math500":
        return MATH_LEVELS[row["level"]]
    if row["source"] == "exercism":
        return exercism_grade(row["rating"])
    if row["source"] in BY_SOURCE:
        return BY_SOURCE[row["source"]]
    return BY_SOURCE_LABEL.get((row["source"], row["label"]), BY_LABEL[row["label"]])


def cell(row: dict[str, Any]) -> str:
    """The group a row's weight is balanced over: each grade of each source weighs alike."""
    return f"{row['source']}/{row['label']}/{row.get('level', '')}{row.get('rating', '')}"
