"""The default analyser's detectors: one small function per capability or task kind.

Each looks at `Clues` (the request's instruction, language and a few counts, computed
once) and returns a `Finding` saying how strongly the request needs the thing and why,
or None. Detectors that depend on another's answer take it as an argument, so the order
they run in is visible in `analyser.findings()` rather than hidden in shared state.
"""

from __future__ import annotations

import enum
import re

import attrs

from neoclone_core.default_plugins import _lexicon as lex
from neoclone_core.default_plugins import _lexicon_tasks as tasks
from neoclone_core.default_plugins._language import NAMES, detect_language
from neoclone_core.default_plugins._lexicon import FOLDED

HEAD_CHARS, TAIL_CHARS = 1_200, 400  # what the rules read of a long text
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PRODUCE_ARTEFACT = re.compile(
    "|".join(
        (
            lex.near(lex.PRODUCE, lex.ARTEFACT, gap=6),
            lex.near(lex.PRODUCE, lex.TECH_ARTEFACT, gap=1),
            lex.near(lex.PRODUCE, tasks.CODE_TARGET.pattern, gap=8),
            lex.CJK_PRODUCE_ARTEFACT,
        )
    ),
    FOLDED,
)
_IMPLEMENT_TECH = re.compile(lex.near(lex.IMPLEMENT, lex.TECH.pattern, gap=3), FOLDED)
_HOW_DO_I = re.compile(r"how (?:do|can|would|should) (?:i|you|we|one) $", FOLDED)
_OPERATE_TECH = re.compile(
    lex.near(lex.OPERATE.pattern, lex.TECH.pattern, gap=4)
    + "|"
    + lex.near(lex.TECH.pattern, lex.OPERATE.pattern, gap=4),
    FOLDED,
)


class Level(enum.IntEnum):
    """How much a request needs a capability or is of a kind."""

    PRESENT = 0  # a category: the request is of this kind
    PREFERRED = 1  # a capability that makes a model better at it
    REQUIRED = 2  # a capability a model cannot serve it without

    def __str__(self) -> str:
        return self.name.lower()


@attrs.frozen
class Finding:
    """One thing the analyser detected: its name, how strongly, and the evidence."""

    name: str
    level: Level
    why: str

    @property
    def reason(self) -> str:
        """The sentence shown to users."""
        level = "" if self.level is Level.PRESENT else f" ({self.level})"
        return f"{self.name}{level}: {self.why}"


@attrs.frozen
class Clues:
    """What the detectors look at: the instruction (`head`: for a long paste, its first
    and last characters, where people put the question; `low`: the same in lower case,
    of the same length, which the lexicon's patterns read), its language, and how many
    numbers it holds."""

    head: str
    low: str
    language: str
    numbers: int

    @classmethod
    def of(cls, text: str) -> Clues:
        """Clues for `text`, bounded in cost however long the text is."""
        head = text
        if len(text) > HEAD_CHARS + TAIL_CHARS:
            head = f"{text[:HEAD_CHARS]}\n{text[-TAIL_CHARS:]}"
        return cls(head, _lower(head), detect_language(head), len(_NUMBER.findall(head)))


def _lower(text: str) -> str:
    """`text` in lower case, character for character (so that a match's span in it is
    the same span in `text`): the few letters that lowercase to two keep their case."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _found(clues: Clues, name: str, level: Level, why: str, match: re.Match[str]) -> Finding:
    """A finding whose evidence is quoted as written, short and on one line."""
    evidence = " ".join(clues.head[match.start() : match.end()].split())
    evidence = evidence if len(evidence) <= 40 else f"{evidence[:37]}..."
    return Finding(name, level, f"{why} ({evidence!r})")


# -- capabilities ---------------------------------------------------------------------------


def code_finding(clues: Clues, creative: bool, processes_text: bool) -> Finding | None:
    """Required when the request holds code or asks for some; preferred when it only
    talks about software. A poem about programmers needs no code model, and a text to
    summarise or translate may mention software without being about it."""
    if match := lex.CODE_SHAPES.search(clues.head):
        return _found(clues, "code", Level.REQUIRED, "contains code or an error message", match)
    if creative:
        return None
    if match := _code_request(clues.low):
        return _found(clues, "code", Level.REQUIRED, "asks for code or gives some", match)
    if processes_text:
        return None
    return _software_talk(clues)


def _software_talk(clues: Clues) -> Finding | None:
    """Software vocabulary: required with a problem to debug or a system to operate,
    preferred otherwise."""
    head = clues.low
    problem = lex.PROBLEM.search(head)
    if problem and lex.SOFTWARE_THING.search(head):
        return _found(clues, "code", Level.REQUIRED, "describes a software problem", problem)
    if not (tech := lex.TECH.search(head)):
        return None
    if problem:
        return _found(clues, "code", Level.REQUIRED, "describes a software problem", problem)
    for pattern, why in (
        (_OPERATE_TECH, "asks how to operate software"),
        (_IMPLEMENT_TECH, "asks for an implementation"),
    ):
        if match := pattern.search(head):
            return _found(clues, "code", Level.REQUIRED, why, match)
    return _found(clues, "code", Level.PREFERRED, "talks about software", tech)


def _code_request(head: str) -> re.Match[str] | None:
    """The first sign that the answer must contain code or work on the user's code."""
    for pattern in (_PRODUCE_ARTEFACT, lex.CODE_ARTEFACTS, lex.OWN_CODE, lex.HOW_TO_CODE):
        if match := pattern.search(head):
            return match
    return None


def writes_code(code: Finding | None) -> bool:
    """Whether the request is to write code, so its other words describe the program
    ("compute the rolling average", "an agent that uses tools")."""
    return code is not None and code.level is Level.REQUIRED


def reasoning_finding(clues: Clues, code: Finding | None, data: bool) -> Finding | None:
    """Required for maths, logic and puzzles; preferred for analysis, complexity, careful
    step-by-step thinking and planning under numeric constraints."""
    if match := _maths(clues.low, writes_code(code)):
        return _found(clues, "reasoning", Level.REQUIRED, "asks for maths or logic", match)
    if clues.numbers >= 2 and (match := lex.QUANTITY_QUESTION.search(clues.low)):
        return _found(clues, "reasoning", Level.REQUIRED, "a word problem with numbers", match)
    for pattern in (lex.THINK_CAREFULLY, lex.COMPLEXITY):
        if match := pattern.search(clues.low):
            return _found(clues, "reasoning", Level.PREFERRED, "asks for careful reasoning", match)
    if lex.CONSTRAINT.search(clues.low) and (match := lex.PLANNING.search(clues.low)):
        return _found(clues, "reasoning", Level.PREFERRED, "planning under constraints", match)
    if data:
        return Finding("reasoning", Level.PREFERRED, "data analysis benefits from it")
    return None


def _maths(head: str, writing_code: bool) -> re.Match[str] | None:
    """A maths word, an expression or a conversion. When the request is about code, only
    the maths words count: `x**2` in a loop and "compute the average" describe the
    program. "How do I calculate..." asks for a method, not a calculation."""
    if match := lex.MATH_WORDS.search(head):
        return match
    if writing_code:
        return None
    for pattern in (lex.MATH_EXPRESSION, lex.UNIT_CONVERSION):
        if match := pattern.search(head):
            return match
    for match in lex.MATH_WEAK.finditer(head):
        if not _HOW_DO_I.search(head[max(0, match.start() - 24) : match.start()]):
            return match
    return None


def vision_finding(clues: Clues) -> Finding | None:
    """Required when the request points at an image it supplies; an image to generate,
    or a Docker image, is not one to look at."""
    hidden = [m.span() for m in tasks.NOT_SEEN_IMAGE.finditer(clues.low)]
    for match in tasks.IMAGE_REFERENCE.finditer(clues.low):
        if not any(start <= match.start() < end for start, end in hidden):
            return _found(clues, "vision", Level.REQUIRED, "refers to an image it supplies", match)
    return None


def tools_finding(clues: Clues, code: Finding | None, processes_text: bool) -> Finding | None:
    """Required when the model must act (search, open, send, book, run, call its tools);
    preferred when the answer depends on live information, unless the request is to
    summarise or translate a text it supplies (whose "today" is content, not a question)."""
    if match := tasks.TOOL_ACTIONS.search(clues.low):
        return _found(clues, "tools", Level.REQUIRED, "asks the model to act", match)
    if not writes_code(code) and (match := tasks.TOOL_WORDS.search(clues.low)):
        return _found(
            clues, "tools", Level.REQUIRED, "gives the model tools or an agent's job", match
        )
    if processes_text:
        return None
    if match := tasks.INHERENTLY_LIVE.search(clues.low):
        return _found(clues, "tools", Level.PREFERRED, "needs live information", match)
    if tasks.LIVE_WHAT.search(clues.low) and (match := tasks.LIVE_WHEN.search(clues.low)):
        return _found(clues, "tools", Level.PREFERRED, "needs live information", match)
    return None


# -- categories -------------------------------------------------------------------------------


def creative_finding(clues: Clues) -> Finding | None:
    """Stories, poems, lyrics, jokes, slogans, captions..."""
    hidden = [m.span() for m in tasks.NOT_CREATIVE.finditer(clues.low)]
    for match in tasks.CREATIVE.finditer(clues.low):
        if not any(start <= match.start() < end for start, end in hidden):
            return _found(
                clues, "creative_writing", Level.PRESENT, "asks for creative writing", match
            )
    return None


def summary_finding(clues: Clues) -> Finding | None:
    """Summaries, key points, abstracts; "resume" counts only outside English (a CV)."""
    match = tasks.SUMMARY.search(clues.low)
    if match is None and clues.language in {"fr", "es", "pt"}:
        match = tasks.SUMMARY_ROMANCE.search(clues.low)
    return (
        _found(clues, "extraction", Level.PRESENT, "asks for a summary", match) if match else None
    )


def data_finding(clues: Clues) -> Finding | None:
    """Data to draw insight from: data words, an analysis of figures, an aggregating
    query, or a chart to read."""
    if match := tasks.DATA_TERMS.search(clues.low) or tasks.AGGREGATE_QUERY.search(clues.low):
        return _found(clues, "data_analysis", Level.PRESENT, "works with data", match)
    if match := tasks.CHART.search(clues.low):
        return _found(clues, "data_analysis", Level.PRESENT, "reads a chart", match)
    if tasks.ANALYSE.search(clues.low) and (match := tasks.FIGURES.search(clues.low)):
        return _found(clues, "data_analysis", Level.PRESENT, "analyses figures", match)
    for pattern in (tasks.FIGURES_LISTED, tasks.SERIES):
        if match := pattern.search(clues.low):
            return _found(clues, "data_analysis", Level.PRESENT, "lists figures", match)
    return None


def translation_finding(clues: Clues) -> Finding | None:
    """Between natural languages: "translate this into Rust" is code."""
    match = tasks.TRANSLATE.search(clues.low)
    if match is not None and tasks.CODE_TARGET.search(clues.low):
        return None
    match = match or tasks.TRANSLATE_INTO.search(clues.low)
    if match is None:
        return None
    return _found(clues, "translation", Level.PRESENT, "asks for a translation", match)


def multilingual_finding(clues: Clues, translation: bool) -> Finding | None:
    """Written in, translated to or answered in a language other than English."""
    if clues.language != "en":
        name = NAMES.get(clues.language, clues.language)
        return Finding("multilingual", Level.PRESENT, f"written in {name}")
    if translation:
        return Finding("multilingual", Level.PRESENT, "a translation")
    if match := tasks.FOREIGN_TARGET.search(clues.low):
        return _found(clues, "multilingual", Level.PRESENT, "wants another language", match)
    return None


def streaming_finding(clues: Clues) -> Finding | None:
    """The user asks to see the answer as it is written."""
    match = tasks.STREAMING.search(clues.low)
    return (
        _found(clues, "streaming", Level.PRESENT, "asks for a streamed answer", match)
        if match
        else None
    )
