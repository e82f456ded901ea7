"""What public leaderboards and a model's name say about how good the model is.

Ranking needs to know that a 405B instruct model is not a 1B one, that
`groq/llama-3.3-70b-versatile` and `github/meta/Llama-3.3-70B-Instruct` are the same model,
and that a base model or a role-play fine-tune is no answer to a question. This module
joins catalog ids onto `neoclone_core/data/model_knowledge.json`, a dated file of leaderboard
figures built by `scripts/build_model_knowledge.py`, one entry per *family* (one model, under
every provider's name for it). Names are read by `knowledge_names`, placed among the
families by `knowledge_index` (whose docstring lists the matching rules in order).

What callers may rely on:

- `lookup(model_id, name)` always answers. A model the file does not place gets a *prior*,
  its `is_prior` set and an explanation that says so: the figure of the model it was
  post-trained from (`_DERIVED_FROM`), else a measured sibling of another size moved along
  the fitted size slope (``qwen3-8b`` from ``qwen3-32b``), else the fitted line itself
  (arena text against log2 of the parameter count, in the file's header). Base models and
  speech, image and embedding models are never placed and are not chat models.
- Every `Figure` names its source and the date of the snapshot it comes from.
- The file is read on the first lookup, never at import; each answer is memoised by
  `(model_id, name)`, and by entry object (`of`); what callers derive from a whole
  catalog is memoised per catalog (`per_catalog`), so scoring a catalog again is one
  tuple hash.
"""

from __future__ import annotations

import functools
import json
import math
import statistics
from collections.abc import Callable, Hashable, Mapping, Sequence
from importlib import resources
from typing import Any, TypeVar

import attrs

from neoclone_core.discover.knowledge_index import METRICS, PRIOR, FamilyIndex, alias
from neoclone_core.discover.knowledge_names import (
    BASE,
    CODER,
    DISTILLED,
    INSTRUCT,
    NOT_CHAT,
    PREVIEW,
    REASONING,
    ROLEPLAY,
    VISION,
    date_order,
    effective_params,
    family_key,
    is_chat_model,
    kinds_of,
    params_from_name,
    parse_params,
    size_stem,
)
from neoclone_core.models import ModelInfo

__all__ = [
    "ARENA_METRICS",
    "BASE",
    "CODER",
    "DISTILLED",
    "INSTRUCT",
    "KNOWLEDGE_FILE",
    "METRICS",
    "NOT_CHAT",
    "PREVIEW",
    "PRIOR",
    "REASONING",
    "ROLEPLAY",
    "VISION",
    "FamilyIndex",
    "Figure",
    "KnowledgeBase",
    "ModelKnowledge",
    "Prior",
    "Sibling",
    "alias",
    "date_order",
    "default_knowledge",
    "effective_params",
    "family_key",
    "is_chat_model",
    "kinds_of",
    "knowledge_sources",
    "lookup",
    "params_from_name",
    "parse_params",
]

KNOWLEDGE_FILE = "model_knowledge.json"
ARENA_METRICS = frozenset(METRICS) - {"aider"}
_ENTRY_MEMO_LIMIT = 50_000  # catalog entries remembered by identity
_CATALOG_MEMO_LIMIT = 8  # whole catalogs remembered by identity, per table
T = TypeVar("T")


@attrs.frozen
class Figure:
    """One number about a model, with where and when it was measured."""

    score: float
    source: str  # "LMArena text", "Aider polyglot", or "prior"
    date: str  # the snapshot's date; for a prior, that of the snapshot it was fitted on
    note: str = ""

    @property
    def is_prior(self) -> bool:
        """True for an estimate from size and kind rather than a measurement."""
        return self.source == PRIOR

    def cite(self) -> str:
        """The figure as an explanation quotes it: "LMArena text 1372, snapshot 2025-08-04"."""
        if self.is_prior:
            return f"prior {self.score:.0f} ({self.note})"
        unit = "%" if self.source.startswith("Aider") else ""
        return f"{self.source} {self.score:g}{unit}, snapshot {self.date}"


@attrs.frozen
class ModelKnowledge:
    """What is known of one catalog model: its family's figures and what its name tells."""

    family: str
    figures: Mapping[str, Figure] = attrs.field(eq=False, hash=False)  # metric -> figure
    estimate: Figure  # arena-text prior from size and kind, present even when placed
    params_total_b: float | None
    params_active_b: float | None
    kinds: frozenset[str]
    is_prior: bool  # no leaderboard figure placed this model
    matched_by: str  # "alias", "exact", "loose", "undated", "nearest" or "prior"
    explanation: str

    @property
    def is_chat(self) -> bool:
        """A model that answers a conversation: not a base model, not audio/image/embedding."""
        return BASE not in self.kinds and NOT_CHAT not in self.kinds

    @property
    def suited_for_general_chat(self) -> bool:
        """A chat model meant for ordinary requests: role-play fine-tunes are not."""
        return self.is_chat and ROLEPLAY not in self.kinds

    def figure(self, metric: str) -> Figure:
        """The best arena-scale figure for `metric`: its own, else the general text one, else
        the prior, so every model can be graded on one scale for any need.

        Aider's pass rate is a percentage, not on that scale: read it from
        ``figures.get("aider")``, where it is present, as extra evidence for code.
        """
        if metric not in ARENA_METRICS:
            msg = f"no arena-scale metric {metric!r}; expected one of {sorted(ARENA_METRICS)}"
            raise ValueError(msg)
        own = self.figures.get(metric)
        if own is not None:
            return own
        return self.figures.get("text", self.estimate)


@attrs.frozen
class Prior:
    """The line that turns a size into an arena-text estimate, fitted by the build script:
    ``intercept + per_doubling * log2(effective billions)``, clipped to [floor, ceiling]."""

    intercept: float
    per_doubling: float
    floor: float
    ceiling: float
    unknown_size_b: float  # the size assumed when neither name nor model card gives one
    roleplay_penalty: float
    date: str
    fitted_on: int

    def estimate(
        self, effective_b: float | None, kinds: frozenset[str], sibling: Sibling | None = None
    ) -> Figure:
        """The prior figure for a model of this size and kind, with the why in its note.

        With a measured `sibling` (same name, another size) the estimate is the sibling's
        score moved along the fitted slope by the size ratio; without one, the fitted line.
        """
        size = effective_b if effective_b else self.unknown_size_b
        if sibling is not None and effective_b:
            score = sibling.score + self.per_doubling * math.log2(effective_b / sibling.size_b)
            why = f", scaled from {sibling.family} ({sibling.score:g} at {sibling.size_b:g}B)"
        else:
            score = self.intercept + self.per_doubling * math.log2(max(size, 0.1))
            why = ""
        if ROLEPLAY in kinds:
            score -= self.roleplay_penalty
        score = min(max(score, self.floor), self.ceiling)
        note = _describe(effective_b, kinds) + ", no leaderboard entry" + why
        return Figure(round(score), PRIOR, self.date, note=note)


@attrs.frozen
class Sibling:
    """A measured family whose name differs from a model's only in its size."""

    family: str
    size_b: float
    score: float


def _describe(effective_b: float | None, kinds: frozenset[str]) -> str:
    size = f"{effective_b:.3g}B" if effective_b else "unknown-size"
    order = (BASE, ROLEPLAY, DISTILLED, PREVIEW, CODER, REASONING, VISION, INSTRUCT)
    words = [k for k in order if k in kinds] or ["chat"]
    return f"{size} {' '.join(words)} model"


# Models post-trained from a measured model, with no entry of their own: their prior is the
# parent's figure. A judgement per model, kept short: catalog key -> parent family.
_DERIVED_FROM = {
    "mai-ds-r1": "deepseek-r1",  # Microsoft's post-training of DeepSeek R1
    "deepseek-r1t-chimera": "deepseek-r1",  # TNG's merge of R1 and V3-0324
    "shisa-v2-llama-3.3-70b": "llama-3.3-70b-instruct",  # a Japanese fine-tune
}


class KnowledgeBase:
    """The families of one knowledge document, and the memo of catalog models placed."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        prior = document["prior"]
        self.prior = Prior(**{f.name: prior[f.name] for f in attrs.fields(Prior)})
        self.families: dict[str, Mapping[str, Any]] = {
            entry["family"]: entry for entry in document["families"]
        }
        self._index = FamilyIndex(self.families)
        self._siblings: dict[str, list[Sibling]] | None = None
        self._memo: dict[tuple[str, str], ModelKnowledge] = {}
        self._by_entry: dict[int, tuple[ModelInfo, ModelKnowledge]] = {}
        self.derived: dict[Hashable, Any] = {}  # values other modules derive from this base

    def of(self, model: ModelInfo) -> ModelKnowledge:
        """`lookup` for a catalog entry, memoised by the entry object itself: scoring joins
        thousands of entries per request, and a catalog keeps the same entries between
        scans, so a hit is one dict lookup by `id()` (the memo holds the entry, so that id
        is not reused while it is there)."""
        hit = self._by_entry.get(id(model))
        if hit is not None and hit[0] is model:
            return hit[1]
        knowledge = self.lookup(model.id, model.display_name)
        if len(self._by_entry) >= _ENTRY_MEMO_LIMIT:
            self._by_entry.clear()  # old catalogs' entries; this one's come back at once
        self._by_entry[id(model)] = (model, knowledge)
        return knowledge

    def per_catalog(
        self,
        table: Hashable,
        models: Sequence[ModelInfo],
        build: Callable[[tuple[ModelInfo, ...]], T],
        key: tuple[int, ...] | None = None,
    ) -> T:
        """`build(models)` once per catalog in `table`: a catalog is the same entries in the
        same order, its `key` their `id()`s (computed here unless given; kept with the
        entries, so that no id is reused), so a request over the catalog of the last one
        finds what the last one built in one tuple hash. Up to `_CATALOG_MEMO_LIMIT`
        catalogs are kept."""
        memo: dict[tuple[int, ...], tuple[tuple[ModelInfo, ...], T]]
        memo = self.derived.setdefault(("catalogs", table), {})
        key = tuple(map(id, models)) if key is None else key
        if (hit := memo.get(key)) is None:
            if len(memo) >= _CATALOG_MEMO_LIMIT:
                memo.clear()  # old catalogs; this one's comes back at once
            entries = tuple(models)
            hit = memo[key] = (entries, build(entries))
        return hit[1]

    @functools.cached_property
    def board_offsets(self) -> dict[str, float]:
        """Per metric, the median of (its figure - the text figure) over the families
        that have both: what a text figure is moved by where the metric's own is missing
        (vision ratings run well below text ones)."""
        offsets: dict[str, float] = {}
        for metric in sorted(ARENA_METRICS - {"text"}):
            gaps = [
                entry[metric]["score"] - entry["text"]["score"]
                for entry in self.families.values()
                if metric in entry and "text" in entry
            ]
            offsets[metric] = float(statistics.median(gaps)) if gaps else 0.0
        return offsets

    def lookup(self, model_id: str, name: str = "") -> ModelKnowledge:
        """What is known of a catalog model (`provider/name`), memoised by (id, name)."""
        hit = self._memo.get((model_id, name))
        if hit is None:
            hit = self._memo[(model_id, name)] = self._place(model_id, name)
        return hit

    def _place(self, model_id: str, name: str) -> ModelKnowledge:
        key = family_key(model_id)
        kinds = kinds_of(key, name)
        family, how = self._index.find(key, kinds)
        total, active = parse_params(key)
        entry = self.families.get(family) if family else None
        if family is None or entry is None:
            return self._prior(key, kinds, total, active)
        if total is None and active is None:  # the provider's name is silent; the family's not
            total, active = entry.get("params_total_b"), entry.get("params_active_b")
        estimate = self.prior.estimate(effective_params(total, active), kinds)
        figures = {metric: _figure(entry[metric]) for metric in METRICS if metric in entry}
        cited = "; ".join(f"{f.cite()}" for f in figures.values())
        if "text" not in figures:
            cited += f"; text: prior {estimate.score:g} ({estimate.note})"
        return ModelKnowledge(
            family, figures, estimate, total, active,
            kinds, is_prior=False, matched_by=how, explanation=f"{family} ({how}): {cited}",
        )  # fmt: skip

    def _prior(
        self, key: str, kinds: frozenset[str], total: float | None, active: float | None
    ) -> ModelKnowledge:
        size = effective_params(total, active)
        parent = self.families.get(_DERIVED_FROM.get(key, ""), {}).get("text")
        if parent is not None:
            source = _figure(parent)
            note = f"{_describe(size, kinds)} derived from {_DERIVED_FROM[key]} ({source.cite()})"
            estimate = Figure(source.score, PRIOR, source.date, note=note)
        else:
            usable = kinds.isdisjoint({BASE, ROLEPLAY, NOT_CHAT})
            estimate = self.prior.estimate(size, kinds, self._sibling(key) if usable else None)
        reason = "not a chat model, " if not kinds.isdisjoint({BASE, NOT_CHAT}) else ""
        return ModelKnowledge(
            key, {"text": estimate}, estimate, total, active, kinds,
            is_prior=True, matched_by=PRIOR, explanation=f"prior: {reason}{estimate.note}",
        )  # fmt: skip

    def _sibling(self, key: str) -> Sibling | None:
        """The measured family nearest in size whose name differs only in the size."""
        stem, size = size_stem(key), effective_params(*params_from_name(key))
        if stem is None or not size:
            return None
        if self._siblings is None:
            self._siblings = {}
            for family, entry in self.families.items():
                family_size = effective_params(*params_from_name(family))
                family_stem = size_stem(family)
                if "text" in entry and family_size and family_stem:
                    sibling = Sibling(family, family_size, float(entry["text"]["score"]))
                    self._siblings.setdefault(family_stem, []).append(sibling)
        candidates = self._siblings.get(stem, [])
        return min(
            candidates, key=lambda s: (abs(math.log2(s.size_b / size)), s.family), default=None
        )


def _figure(raw: Mapping[str, Any]) -> Figure:
    return Figure(float(raw["score"]), raw["source"], raw["date"], raw.get("note", ""))


@functools.cache
def default_knowledge() -> KnowledgeBase:
    """The knowledge bundled with the package, read once on first use."""
    text = resources.files("neoclone_core.data").joinpath(KNOWLEDGE_FILE).read_text("utf-8")
    return KnowledgeBase(json.loads(text))


def lookup(model_id: str, name: str = "") -> ModelKnowledge:
    """What the bundled knowledge says of a catalog model; see `KnowledgeBase.lookup`."""
    return default_knowledge().lookup(model_id, name)


def knowledge_sources() -> list[dict[str, str]]:
    """The bundled file's sources: name, repository, commit, path, licence and date each."""
    return [dict(source) for source in default_knowledge().document["sources"]]
