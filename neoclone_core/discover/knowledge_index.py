"""Placing a name among the leaderboard families: aliases, then the general rules.

`FamilyIndex` is shared by the build script (leaderboard names) and `KnowledgeBase`
(catalog names), so both join names by the same rules, in this order (the first that finds
a family wins; `find` says which):

1. ``alias``: a provider's own name for a leaderboard model (`_ALIASES`).
2. ``exact``: the family key of the name equals a family's.
3. ``loose``: equal once context-window tokens (``-128k``), instruct markers (``-instruct``,
   ``-it``, ``-chat``) and ``-001`` revisions are dropped on both sides; never for base models,
   whose instruct sibling is a different model.
4. ``undated``: an undated name (``gpt-4o``) is the newest dated entry (``gpt-4o-20240806``).
5. ``nearest``: an ``-exp``/``-preview`` name takes the figures of its release.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from neoclone_core.discover.knowledge_names import (
    BASE,
    NOT_CHAT,
    date_order,
    loose_key,
    release_key,
    trailing_date,
)

PRIOR = "prior"

METRICS = ("text", "coding", "math", "hard", "creative", "vision", "aider")
"""The figures a family may carry: LMArena text and its coding, math, hard-prompts and
creative-writing categories, LMArena vision, and the Aider polyglot pass rate (percent)."""

_ALIASES = {
    "llama-3.3-70b-versatile": "llama-3.3-70b-instruct",  # Groq's name for Meta's model
    "llama-3.1-8b-instant": "llama-3.1-8b-instruct",  # likewise
    "llama-4-maverick": "llama-4-maverick-17b-128e-instruct",  # OpenRouter's short names
    "llama-4-scout": "llama-4-scout-17b-16e-instruct",
    "llama-3.2-11b-vision-instruct": "llama-3.2-vision-11b-instruct",
    "llama-3.2-90b-vision-instruct": "llama-3.2-vision-90b-instruct",
    "deepseek-chat": "deepseek-v3",  # OpenRouter's DeepSeek V3 (the display name says so)
    "deepseek-chat-v3-0324": "deepseek-v3-0324",
    "kimi-k2-instruct": "kimi-k2-0711-preview",  # the July release
    "kimi-k2-instruct-0905": "kimi-k2-0905-preview",
    "mistral-small-2503": "mistral-small-3.1-24b-instruct-2503",  # GitHub's name
    "mistral-small-3.1-24b-instruct": "mistral-small-3.1-24b-instruct-2503",
    "gemini-2.5-flash-lite": "gemini-2.5-flash-lite-preview-06-17-thinking",  # GA of 06-17
    "gemini-2.0-flash-lite": "gemini-2.0-flash-lite-preview-02-05",
    "codestral-latest": "codestral-2501",
    "compound": "",  # Groq's agent system: no single model's figure applies
    "compound-mini": "",
}


class FamilyIndex:
    """Places a family key among known families; the build script uses it for leaderboard
    names, `KnowledgeBase` for catalog names, so both join names by the same rules."""

    def __init__(self, families: Mapping[str, Mapping[str, Any]]) -> None:
        self._families = dict(families)
        self._loose: dict[str, str] | None = None
        self._undated: dict[str, str] | None = None

    def add(self, family: str, entry: Mapping[str, Any]) -> None:
        """Know one more family (the derived indexes are rebuilt on the next `find`)."""
        self._families[family] = entry
        self._loose = self._undated = None

    def find(
        self, key: str, kinds: frozenset[str], *, allow_nearest: bool = True
    ) -> tuple[str | None, str]:
        """(family, how it matched) for a family key, or (None, "prior")."""
        if BASE in kinds or NOT_CHAT in kinds:
            return None, PRIOR  # leaderboards rate chat models; a base model is not one
        for how, found in self._steps(key):
            if found is not None:
                return found or None, how  # an alias to "" says: no family applies
        release = release_key(key)
        if allow_nearest and release != key:
            return self.find(release, kinds)[0], "nearest"
        return None, PRIOR

    def _steps(self, key: str) -> Iterator[tuple[str, str | None]]:
        """The matching rules in order, each tried only if the ones before found nothing."""
        yield "alias", _ALIASES.get(key)
        yield "exact", key if key in self._families else None
        if self._loose is None or self._undated is None:
            self._loose = _first_by_key(self._families, loose_key)
            self._undated = _newest_by_base(self._families)
        loose = loose_key(key)
        yield "alias", _ALIASES.get(loose)
        yield "loose", self._loose.get(loose)
        yield "undated", self._undated.get(loose)


def alias(key: str) -> str | None:
    """The family a provider's name stands for, when no general rule finds it."""
    return _ALIASES.get(key)


def _first_by_key(
    families: Mapping[str, Mapping[str, Any]], key: Callable[[str], str]
) -> dict[str, str]:
    """Index families by a derived key; on a clash the family with more figures wins."""
    index: dict[str, str] = {}
    for family in sorted(families, key=lambda f: (-_weight(families[f]), f)):
        index.setdefault(key(family), family)
    return index


def _weight(entry: Mapping[str, Any]) -> int:
    return sum(metric in entry for metric in METRICS)


def _newest_by_base(families: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Undated base name -> the newest dated family with that base, preferring families
    with an arena text figure (an Aider-only entry must not hide the arena's)."""
    best: dict[str, tuple[bool, int, str]] = {}
    for family, entry in families.items():
        dated = trailing_date(family)
        if dated is None:
            continue
        base = loose_key(dated[0])
        rank = ("text" in entry, date_order(dated[1]), family)
        if base not in best or rank > best[base]:
            best[base] = rank
    return {base: rank[2] for base, rank in best.items()}
