"""Leave one training source out: how the classifier does on a source it never saw,
from the training sources alone (no evaluation set is read).

    python scripts/analyser/source_holdout.py [--c 2 8 32] [--pool-without SOURCE ...]

For each regularisation C, and each training source, the n-gram model is fitted on every
other source (as scripts/train_analyser.py fits it) and reads that source; over all
sources pooled, it reports the top-1 and the main label found at no more than
`MAX_MEAN_LABELS` labels a request (each C with its own labelling rule). The validation
split (split.py) keeps rows of every source on both sides, so it rewards a model that
learns each source's style; this protocol measures what the held-out sets measure, a
source never seen, at the cost of one fit per source and C. `--pool-without` leaves
the named sources out of the pooled figure (they still train the other sources' models),
so that a set with a new source compares with the set without it on the same rows.
Each source's own figure follows, and their mean: a change that helps only the built and
translated sources (templates, MGSM, XQuAD) transfers less to people's requests than the
pooled figure suggests (RESULTS.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import train_analyser as ta


def held_out_probabilities(rows: list[dict[str, object]], c: float) -> np.ndarray:
    """Each row's label probabilities from the model fitted without its source."""
    probs = np.zeros((len(rows), len(ta.LABELS)))
    for source in sorted({str(r["source"]) for r in rows}):
        inside = [i for i, r in enumerate(rows) if r["source"] == source]
        model = ta.fit([r for r in rows if r["source"] != source], c=c)
        probs[inside] = ta.label_probabilities(model, [rows[i] for i in inside])
    return probs


def found_by_source(
    probs: np.ndarray, rows: list[dict[str, object]], threshold: float, max_labels: int
) -> dict[str, float]:
    """Per source, how often the labelling rule reports the row's label."""
    found: dict[str, list[bool]] = {}
    for p, r in zip(probs, rows, strict=True):
        chosen = ta.reported(p, np.argsort(-p), threshold, max_labels)
        found.setdefault(str(r["source"]), []).append(ta.LABELS.index(r["label"]) in chosen)
    return {source: float(np.mean(hits)) for source, hits in sorted(found.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=ta.ROOT / "scripts/analyser/data/train.jsonl.gz"
    )
    parser.add_argument("--c", type=float, nargs="+", default=[2.0, 8.0, 32.0])
    parser.add_argument("--pool-without", nargs="*", default=[], metavar="SOURCE")
    parser.add_argument("--save", type=Path, default=None, help="write the probabilities (.npy)")
    args = parser.parse_args()
    rows = [r for r in ta.load(args.data) if r["label"] in ta.LABELS]
    pooled = [i for i, r in enumerate(rows) if r["source"] not in args.pool_without]
    for c in args.c:
        probs = held_out_probabilities(rows, c)[pooled]
        if args.save:
            np.save(args.save.with_suffix(f".c{c:g}.npy"), probs)
        kept = [rows[i] for i in pooled]
        threshold, max_labels, report = ta.choose_rule(probs, kept)
        print(f"C {c:g}, each source left out: {report.removeprefix('validation: ')}")
        by_source = found_by_source(probs, kept, threshold, max_labels)
        print(f"  mean over sources {np.mean(list(by_source.values())):.3f}:")
        print("  " + ", ".join(f"{s} {v:.2f}" for s, v in by_source.items()))


if __name__ == "__main__":
    main()
