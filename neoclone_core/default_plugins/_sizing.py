"""How many tokens of context a request needs: its own length, or the size of the material
it talks about ("this 200-page document", "a 500k-token log"), whichever is larger.

Estimates, deliberately round: a model is dropped when its context is too small, so an
estimate that is off by a few percent matters far less than one that misses the
"200-page" in the sentence.
"""

from __future__ import annotations

import re

import attrs

from neoclone_core.default_plugins._lexicon import terms

CHARS_PER_TOKEN = 4  # English prose and code, as OpenAI's tokenizers average
TOKENS_PER_PAGE = 650  # a printed page of ~500 words
TOKENS_PER_WORD = 4 / 3
TOKENS_PER_LINE = 10  # a line of code or of a log
WHOLE_WORK_TOKENS = 120_000  # "the whole book" (a 90,000-word novel), size unstated
WHOLE_TRANSCRIPT_TOKENS = 20_000
ANSWER_RESERVE = 1_024  # room for the answer on top of the input

_NUMBER = r"(\d[\d,.]*\d|\d)"
_SCALE_WORD = r"(k|m|thousand|million|billion)\b"
_COUNT_WORDS = {
    word: value
    for value, words in {
        2: "two deux dos zwei dois duas",
        3: "three trois tres drei três",
        4: "four quatre cuatro vier quatro",
        5: "five cinq cinco fünf",
        10: "ten dix diez zehn dez",
    }.items()
    for word in words.split()
}
_COUNT = rf"(\d{{1,2}}|{'|'.join(_COUNT_WORDS)})"
_UNITS: tuple[tuple[re.Pattern[str], float], ...] = (
    (
        re.compile(
            rf"{_NUMBER}\s*-?\s*(?:pages?|pp\b|páginas?|seiten|seitige\w*|页)", re.IGNORECASE
        ),
        TOKENS_PER_PAGE,
    ),
    (
        re.compile(
            rf"{_NUMBER}\s*-?\s*(?:{_SCALE_WORD})?\s*-?\s*(?:words?|mots|palabras|wörter|palavras|字)",
            re.IGNORECASE,
        ),
        TOKENS_PER_WORD,
    ),
    (re.compile(rf"{_NUMBER}\s*-?\s*(?:{_SCALE_WORD})?\s*-?\s*tokens?\b", re.IGNORECASE), 1.0),
    (
        re.compile(rf"{_NUMBER}\s*-?\s*(?:lines?|lignes|líneas|zeilen|linhas|行)", re.IGNORECASE),
        TOKENS_PER_LINE,
    ),
)
_SCALE = {"": 1.0, "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "billion": 1e9}
_EACH = re.compile(r"\s*\)?\s*(?:each|chacun\w*|cada uno|jeweils|cada)\b", re.IGNORECASE)
_COUNT_BEFORE = re.compile(rf"\b{_COUNT}\b(?!.*\b{_COUNT}\b)", re.IGNORECASE)
_OUTPUT = terms(r"write|draft|generate|compose|écris|escribe|schreibe|escreva", flags=re.IGNORECASE)
_WHOLE_WORK = terms(
    r"(?:whole|entire|full|complete) (?:text of )?(?:the |this |my |our |a )?"
    r"(?:book|novel|codebase|code base|repo|repository|manual|thesis|archive)"
    r"|full text of|todo el libro|le livre entier|das ganze buch|o livro inteiro",
    r"整本书",
    flags=re.IGNORECASE,
)
_WHOLE_TRANSCRIPT = terms(
    r"(?:whole|entire|full) (?:meeting |call |podcast )?transcript", flags=re.IGNORECASE
)
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


@attrs.frozen
class ContextNeed:
    """Tokens to read (`input`) and to write (`output`), and what the estimate rests on."""

    input: int
    output: int = 0
    reason: str = ""

    @property
    def total(self) -> int:
        """The context a model needs: the input plus room for the answer."""
        return self.input + max(self.output, ANSWER_RESERVE)


def own_tokens(text: str) -> int:
    """The request's own length in tokens: a CJK character is about one token."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk) // CHARS_PER_TOKEN


def estimate_context(text: str, head: str) -> ContextNeed:
    """The context `text` needs; size hints are looked for in `head` (its instruction)."""
    own = own_tokens(text)
    stated_in, stated_out, why = _stated_size(head)
    if own >= stated_in:
        reason = f"the request itself is ~{own:,} tokens" if own >= 2_000 else ""
        return ContextNeed(own, stated_out, reason)
    return ContextNeed(stated_in, stated_out, why)


def _stated_size(head: str) -> tuple[int, int, str]:
    """The largest size the text mentions for its input and for its output, with a reason."""
    best_in, best_out, why = 0, 0, ""
    for pattern, tokens_per_unit in _UNITS:
        for match in pattern.finditer(head):
            times = _multiplier(head, match)
            tokens = int(_amount(match, tokens_per_unit) * times)
            if _is_output(head, match.start()):
                best_out = max(best_out, tokens)
            elif tokens > best_in:
                best_in = tokens
                what = f"{times} x {match.group(0)!r}" if times > 1 else repr(match.group(0))
                why = f"mentions {what} of material (~{tokens:,} tokens)"
    if best_in == 0 and (hint := _whole_work(head)):
        best_in, why = hint
    return best_in, best_out, why


def _amount(match: re.Match[str], tokens_per_unit: float) -> float:
    """The match's number times its scale (k, M) times tokens per unit."""
    number = parse_number(match.group(1))
    suffix = (match.group(2) or "").lower() if match.re.groups >= 2 else ""
    return number * _SCALE.get(suffix, 1.0) * tokens_per_unit


def _multiplier(head: str, match: re.Match[str]) -> int:
    """2 for "two 80-page contracts", 3 for "3 papers (30 pages each)", else 1."""
    before = head[max(0, match.start() - 60) : match.start()]
    if directly := re.search(rf"\b{_COUNT}\s+$", before, re.IGNORECASE):
        return _count(directly.group(1))
    if _EACH.match(head, match.end()) and (earlier := _COUNT_BEFORE.search(before)):
        return _count(earlier.group(1))
    return 1


def _count(raw: str) -> int:
    return int(raw) if raw.isdigit() else _COUNT_WORDS[raw.lower()]


def _is_output(head: str, start: int) -> bool:
    """Whether a size describes what to write ("write a 2000-word essay")."""
    return bool(_OUTPUT.search(head[max(0, start - 25) : start]))


def _whole_work(head: str) -> tuple[int, str] | None:
    """A size for "the whole book" or "our entire codebase", whose length is not stated."""
    if match := _WHOLE_TRANSCRIPT.search(head):
        tokens = WHOLE_TRANSCRIPT_TOKENS
    elif match := _WHOLE_WORK.search(head):
        tokens = WHOLE_WORK_TOKENS
    else:
        return None
    return tokens, f"mentions {match.group(0)!r} (assumed ~{tokens:,} tokens)"


def parse_number(raw: str) -> float:
    """`50,000` and `50.000` are fifty thousand; `1,5` and `1.5` are one and a half."""
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):
        return float(re.sub(r"[.,]", "", raw))
    return float(raw.replace(",", "."))
