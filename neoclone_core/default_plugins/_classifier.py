"""The learned task classifier: which kind of task a request is, from weights trained on
public, labelled instruction data (scripts/train_analyser.py; sources and licences in
docs/recommendations.md, "Task analysis").

Why a learned model next to the rules: keyword rules tuned on our own sentences miss the
main need of about one request in three written by other people; a linear model over
many words and word pieces, fitted to thousands of requests labelled by their authors,
carries over to wordings nobody wrote a rule for.

What callers may rely on: pure Python and deterministic (no network, no numpy, no
randomness); nothing loads at import: the weights (`neoclone_core/data/
analyser_model.json.gz`, int16, a few MB in memory) load on the first call of `classify()`
or `top_labels()`. The labels are the task kinds that need reading the words (`LABELS`);
vision, tools, long context and the language stay rules in the analyser. The same file
holds a difficulty head (one linear output over the same features, `Model.read`), which
`_difficulty.py` combines with its rules.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import sys
from array import array
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from neoclone_core.default_plugins._features import FORMAT_VERSION, features

MODEL_RESOURCE = "analyser_model.json.gz"
LABELS = ("code", "reasoning", "creative_writing", "extraction", "knowledge", "translation", "chat")


@attrs.frozen
class Model:
    """A multinomial logistic regression over hashed features, and the rule that turns
    its probabilities into labels (tuned on a validation split of the training sources).

    `weights` holds `buckets * len(labels)` int16 values, row-major by bucket; a weight is
    `value * scale`. Each feature counts `1/sqrt(n)` for a text of n distinct features,
    so long and short texts score on the same scale."""

    labels: tuple[str, ...]
    buckets: int
    scale: float
    bias: tuple[float, ...]
    weights: array[int]
    threshold: float  # a second or third label must be at least this probable
    max_labels: int
    meta: dict[str, Any] = attrs.field(factory=dict, eq=False)
    # The difficulty head: a linear regression over the same features (bias, scale,
    # one int16 weight a bucket), or None in a weights file without one.
    hardness: tuple[float, float, array[int]] | None = attrs.field(default=None, eq=False)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Model:
        """The model in a weights file (gzip'd JSON, weights base64 little-endian int16)."""
        doc = json.loads(gzip.decompress(raw))
        if doc.get("format_version") != FORMAT_VERSION:
            msg = (
                f"analyser weights have format {doc.get('format_version')!r}, this code "
                f"reads {FORMAT_VERSION}: retrain with scripts/train_analyser.py"
            )
            raise ValueError(msg)
        weights = _int16(doc["weights"])
        labels = tuple(doc["labels"])
        if len(weights) != doc["buckets"] * len(labels):
            msg = "analyser weights file is truncated: wrong number of weights"
            raise ValueError(msg)
        return cls(
            labels=labels,
            buckets=doc["buckets"],
            scale=doc["scale"],
            bias=tuple(doc["bias"]),
            weights=weights,
            threshold=doc["threshold"],
            max_labels=doc["max_labels"],
            meta=doc.get("meta", {}),
            hardness=_head(doc.get("difficulty"), doc["buckets"]),
        )

    def probabilities(self, text: str) -> list[tuple[str, float]]:
        """Every label with its probability (they sum to 1), best first; ties keep the
        labels' order, so the answer is deterministic."""
        return self.read(text)[0]

    def read(self, text: str) -> tuple[list[tuple[str, float]], float | None]:
        """The labels' probabilities (as `probabilities`) and the difficulty the head
        reads in [0, 1] (None without a head), from one pass over the features."""
        hashed = features(text, self.buckets)
        return self._ranked(hashed), self._hardness(hashed)

    def _hardness(self, hashed: list[int]) -> float | None:
        if self.hardness is None:
            return None
        bias, scale, weights = self.hardness
        total = sum(weights[bucket] for bucket in hashed)
        return min(1.0, max(0.0, bias + total * scale / math.sqrt(len(hashed))))

    def _ranked(self, hashed: list[int]) -> list[tuple[str, float]]:
        width = len(self.labels)
        sums = [0] * width
        weights = self.weights
        for bucket in hashed:
            row = weights[bucket * width : bucket * width + width]
            for j in range(width):
                sums[j] += row[j]
        norm = self.scale / math.sqrt(len(hashed))
        logits = [b + s * norm for b, s in zip(self.bias, sums, strict=True)]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        ranked = sorted(
            zip(self.labels, (e / total for e in exps), strict=True), key=lambda lp: -lp[1]
        )
        return ranked

    def decide(self, ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """The labels to report: the most probable one always, then the next ones while
        they pass `threshold`, at most `max_labels`."""
        chosen = ranked[:1]
        for label, p in ranked[1 : self.max_labels]:
            if p < self.threshold:
                break
            chosen.append((label, p))
        return chosen


def _int16(encoded: str) -> array[int]:
    """Little-endian int16 values from base64."""
    values = array("h", base64.b64decode(encoded))
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _head(doc: dict[str, Any] | None, buckets: int) -> tuple[float, float, array[int]] | None:
    """The difficulty head of a weights file, if it has one."""
    if doc is None:
        return None
    weights = _int16(doc["weights"])
    if len(weights) != buckets:
        msg = "analyser weights file is truncated: wrong number of difficulty weights"
        raise ValueError(msg)
    return float(doc["bias"]), float(doc["scale"]), weights


@cache
def load_model(path: Path | None = None) -> Model:
    """The model shipped in the package, or the one at `path`; read once, on first use."""
    if path is not None:
        return Model.from_bytes(path.read_bytes())
    raw = resources.files("neoclone_core.data").joinpath(MODEL_RESOURCE).read_bytes()
    return Model.from_bytes(raw)


def classify(text: str) -> list[tuple[str, float]]:
    """Every learned label of `text` with its probability, best first."""
    return load_model().probabilities(text)


def top_labels(text: str) -> list[tuple[str, float]]:
    """The labels `text` is of, by the tuned rule: the main need first, then at most
    `max_labels - 1` others probable enough to report."""
    model = load_model()
    return model.decide(model.probabilities(text))
