"""Training sources whose items carry their authors' grade or subject (build_data.py).

- Exercism practice exercises (Python and Rust tracks, MIT): each exercise's instructions,
  with the track's own difficulty rating (1-10, `rating`), so the difficulty head sees
  programming tasks from trivial to hard, and the classifier code described in prose.
- ClassEval (MIT): 100 class-level code generation tasks (a class skeleton with its
  methods' contracts), which its authors built to be harder than function-level tasks.
- GAOKAO-Bench (Apache-2.0): questions of the Chinese national college entrance exam,
  labelled by their subject (label_map.tsv): the classifier's Chinese knowledge,
  maths and reading-comprehension (extraction) requests.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from typing import Any

from mirrors import Mirrors

EXERCISM_TRACKS = {"exercism_python": "Python", "exercism_rust": "Rust"}
_LINK_REFS = re.compile(r"(?m)^\[[^\]]+\]:\s*\S+.*$")
# The exam's question number and its marks ("14", full-width stop, "(20分)"), removed.
_EXAM_NUMBER = re.compile(r"^\s*\d+\s*[．.、]\s*(?:[（(][^）)]*分[）)])?\s*")  # noqa: RUF001


def _row(text: str, label: str, source: str, group: str, lang: str) -> dict[str, Any]:
    return {"text": text.strip(), "label": label, "source": source, "group": group, "lang": lang}


def exercism(m: Mirrors) -> Iterator[dict[str, Any]]:
    """Each practice exercise's instructions (markdown headings and link targets dropped),
    asked in the track's language, with the track's difficulty rating (1-10)."""
    for key, language in EXERCISM_TRACKS.items():
        config = json.loads(m.text(key, "config.json"))
        present = set(m.names(key, "exercises/practice"))
        for exercise in config["exercises"]["practice"]:
            slug = exercise["slug"]
            path = f"exercises/practice/{slug}/.docs/instructions.md"
            if exercise.get("status") == "deprecated" or path not in present:
                continue
            body = m.text(key, path)
            body = _LINK_REFS.sub("", body.replace("# Instructions", "", 1)).strip()
            if not body:
                continue
            text = f"{body}\n\nWrite the solution in {language}."
            row = _row(text, "code", "exercism", slug, "en")
            yield row | {"rating": int(exercise["difficulty"]), "track": language}


def classeval(m: Mirrors) -> Iterator[dict[str, Any]]:
    """ClassEval's class skeletons: implement every method of a described class."""
    for task in json.loads(m.text("classeval", "data/ClassEval_data.json")):
        yield _row(task["skeleton"], "code", "classeval", task["task_id"], "en")


GAOKAO_FILES = {  # file (under Data/) -> source label for label_map.tsv
    "Objective_Questions/2010-2022_Biology_MCQs.json": "biology",
    "Objective_Questions/2010-2022_Geography_MCQs.json": "geography",
    "Objective_Questions/2010-2022_History_MCQs.json": "history",
    "Objective_Questions/2010-2022_Political_Science_MCQs.json": "politics",
    "Objective_Questions/2010-2022_Math_I_MCQs.json": "math",
    "Objective_Questions/2010-2022_Math_II_MCQs.json": "math",
    "Objective_Questions/2010-2022_Physics_MCQs.json": "physics",
    "Objective_Questions/2010-2022_Chemistry_MCQs.json": "chemistry",
    "Objective_Questions/2010-2022_Chinese_Modern_Lit.json": "modern_text_reading",
    "Subjective_Questions/2010-2022_Biology_Open-ended_Questions.json": "biology",
    "Subjective_Questions/2010-2022_Geography_Open-ended_Questions.json": "geography",
    "Subjective_Questions/2010-2022_History_Open-ended_Questions.json": "history",
    "Subjective_Questions/2010-2022_Political_Science_Open-ended_Questions.json": "politics",
    "Subjective_Questions/2010-2022_Math_I_Open-ended_Questions.json": "math",
    "Subjective_Questions/2010-2022_Math_II_Open-ended_Questions.json": "math",
    "Subjective_Questions/2010-2022_Math_I_Fill-in-the-Blank.json": "math",
    "Subjective_Questions/2010-2022_Math_II_Fill-in-the-Blank.json": "math",
    "Subjective_Questions/2010-2022_Physics_Open-ended_Questions.json": "physics",
    "Subjective_Questions/2010-2022_Chinese_Language_Literary_Text_Reading.json": (
        "modern_text_reading"
    ),
    "Subjective_Questions/2010-2022_Chinese_Language_Practical_Text_Reading.json": (
        "modern_text_reading"
    ),
}
GAOKAO_PER_FILE = 120


def gaokao(m: Mirrors, label_of: Any, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Exam questions by subject (label_of: the label table's lookup for "gaokao"), the
    exam's numbering and marks removed; at most GAOKAO_PER_FILE a file, grouped by
    subject and year for the validation split."""
    for path, subject in GAOKAO_FILES.items():
        label = label_of(subject)
        if label is None:
            continue
        items = json.loads(m.text("gaokao", f"Data/{path}"))["example"]
        items = items if len(items) <= GAOKAO_PER_FILE else rng.sample(items, GAOKAO_PER_FILE)
        for item in items:
            text = _EXAM_NUMBER.sub("", item["question"]).strip()
            text = re.sub(r"[ \t\u3000]+", " ", re.sub(r"\n\s*\n+", "\n", text))
            if text:
                yield _row(text, label, "gaokao", f"{subject}_{item['year']}", "zh")
