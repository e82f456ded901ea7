"""What the learned classifier reads of a request: hashed words, word pairs, character
n-grams and a few shape features.

`features()` is the one featuriser: the training script (scripts/train_analyser.py)
imports it too, so training and inference cannot drift apart. Pure Python and
deterministic (CRC32, not the per-process salted `hash`), bounded in cost: a long document
is read from its first `HEAD_CHARS` and last `TAIL_CHARS` characters only, where people
put the instruction and the question.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterator

from neoclone_core.default_plugins._concepts import CJK_CONCEPTS, CONCEPT_OF, STOPWORDS

FORMAT_VERSION = 3  # bumped whenever features() or the weights file change shape
HEAD_CHARS, TAIL_CHARS = 3_000, 1_000
# Each shared concept yields this many features (1: tried 3, which made the model worse on
# plain English requests such as "Write a poem about the sea").
CONCEPT_WEIGHT = 1

_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")  # a run of letters and digits, or one symbol
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def sample(text: str) -> str:
    """The part of `text` the classifier reads: all of it, or for a long document its
    head and tail (the instruction is almost always at one end of a paste)."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return f"{text[:HEAD_CHARS]}\n{text[-TAIL_CHARS:]}"


def feature_names(text: str) -> Iterator[str]:
    """Every feature of `text`, by name: words, pairs of words, character n-grams
    (3 and 4 in Latin words, 1 and 2 in CJK runs, which have no spaces), shared concepts
    (`_concepts.py`), the first word's concept, and a code fence."""
    lowered = unicodedata.normalize("NFKC", sample(text)).lower()
    previous = "^"
    for token in _TOKEN.findall(lowered):
        if token in STOPWORDS:
            continue
        yield f"w{token}"
        yield f"b{previous} {token}"
        if previous == "^" and (concept := CONCEPT_OF.get(token)):
            yield f"^{concept}"
        previous = token
        yield from _token_features(token)
    # No length or line-count features: in the training data short requests are mostly
    # small talk, so they taught "short, so chat" ("Write a poem about the sea." -> chat).
    # One constant feature, so that a text of function words alone still has one.
    yield "#"
    if "```" in lowered:
        yield "#fence"


def _token_features(token: str) -> Iterator[str]:
    """A token's concept and its character n-grams."""
    concepts = [CONCEPT_OF[token]] if token in CONCEPT_OF else []
    if CJK.match(token):
        concepts += [c for c, words in CJK_CONCEPTS.items() if any(w in token for w in words)]
    for concept in concepts:  # several names, so a concept weighs more than one word
        yield from (f"k{copy}{concept}" for copy in range(CONCEPT_WEIGHT))
    if CJK.match(token):
        yield from (f"c{token[i : i + 2]}" for i in range(len(token) - 1))
        yield from (f"c{char}" for char in token)
    elif len(token) > 2 and token[0].isalpha():
        padded = f"<{token}>"
        yield from (f"t{padded[i : i + 3]}" for i in range(len(padded) - 2))
        yield from (f"q{padded[i : i + 4]}" for i in range(len(padded) - 3))


def features(text: str, buckets: int) -> list[int]:
    """The hashed features of `text`: sorted, without repeats, each in [0, buckets)."""
    mask = buckets - 1
    return sorted({zlib.crc32(name.encode("utf-8")) & mask for name in feature_names(text)})
