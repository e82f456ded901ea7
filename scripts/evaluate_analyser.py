"""Measure the task analysers on requests from sources they were never trained or tuned on.

    python scripts/evaluate_analyser.py [--alignbench-mirrors DIR] [--analyser NAME]
    python scripts/evaluate_analyser.py --validation MODEL   # choices: training sources only

Runs in the project's environment (it calls the package's analysers). Held-out sets
(scripts/analyser/data/eval.jsonl.gz, built by build_data.py): MT-Bench first turns in
English, German, Spanish, French, Portuguese and Chinese, and Vicuna-bench; with
`--alignbench-mirrors`, AlignBench (Chinese) read from its repository. tests/data's
hand-labelled requests are a regression set (their labels are mapped below).

`--analyser`: `default` (rules and learned classifier, the shipped default), `rules` (the
rule analyser plugin) or `learned` (the classifier's labels alone). `--validation MODEL`
measures the default analyser with MODEL (train_analyser.py --validation-model: fitted
without the validation rows) on the validation split of the *training* sources; every
choice about combining rules and classifier is made there, never on the held-out sets.

Figures: the main need among the reported categories ("main need found", the issue's
target), the main need first, labels per request (every category but `multilingual`, which
names the language rather than a need; with it in the last column), per-label precision
and recall, the confusion between the expected label and the first one reported, and how
often vision is claimed (no request here comes with an image).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from neoclone_core.default_plugins import analyser, rules_analyser
from neoclone_core.default_plugins._classifier import Model, load_model

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "scripts" / "analyser" / "data"
REGRESSION = ROOT / "tests" / "data" / "task_requests.jsonl"
GOLD_KINDS = {
    "code",
    "reasoning",
    "creative_writing",
    "extraction",
    "translation",
    "vision",
    "tools",
    "long_context",
}
Decide = Callable[[str], list[str]]


def _load_script(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def read_jsonl_gz(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def regression_rows() -> list[dict[str, Any]]:
    """tests/data's requests with their labels in the new label set: summaries are
    extraction, data analysis is reasoning; a request labelled with nothing but chat may
    be answered chat or knowledge (tests/data has no knowledge label: its "chat" is
    "nothing special", which includes factual questions)."""
    renamed = {"summarisation": "extraction", "data_analysis": "reasoning"}
    rows = []
    for line in REGRESSION.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        wanted = {*r["required"], *r["preferred"], *r["categories"]}
        gold = {renamed.get(w, w) for w in wanted} & GOLD_KINDS
        rows.append(
            {
                "text": r["text"],
                "gold": gold or {"chat", "knowledge"},
                "source": "tests/data",
                "lang": r["lang"],
                "id": r["id"],
            }
        )
    return rows


def held_out_rows(alignbench_mirrors: Path | None) -> list[dict[str, Any]]:
    rows = read_jsonl_gz(DATA / "eval.jsonl.gz")
    if alignbench_mirrors is not None:
        build = _load_script("build_data", ROOT / "scripts" / "analyser" / "build_data.py")
        rows.extend(build.alignbench(build.Mirrors(alignbench_mirrors), build.label_table()))
    return [r | {"gold": {r["label"]}} for r in rows]


def validation_rows() -> list[dict[str, Any]]:
    """The training rows train_analyser.py held out to choose its labelling rule."""
    train = _load_script("train_split", ROOT / "scripts" / "analyser" / "split.py")
    rows = read_jsonl_gz(DATA / "train.jsonl.gz")
    return [r | {"gold": {r["label"]}} for r in rows if train.is_validation(r)]


class Tally:
    """Figures for one set of requests."""

    def __init__(self) -> None:
        self.n = self.main = self.first = self.labels = self.multilingual = self.vision = 0
        self.per_label: dict[str, Counter[str]] = defaultdict(Counter)
        self.confusion: Counter[tuple[str, str]] = Counter()
        self.misses: list[tuple[str, str, str]] = []

    def add(self, row: dict[str, Any], names: list[str]) -> None:
        gold = row["gold"]
        needs = [n for n in names if n != "multilingual"] or ["chat"]
        self.n += 1
        self.main += bool(gold & set(needs))
        self.first += needs[0] in gold
        self.labels += len(needs)
        self.multilingual += len(names) - len(needs) + (names == [])
        self.vision += "vision" in names
        self.confusion["/".join(sorted(gold)), needs[0]] += 1
        for label in {*needs, *gold}:
            key = ("tp" if label in gold else "fp") if label in needs else "fn"
            self.per_label[label][key] += 1
        if not gold & set(needs):
            text = " ".join(row["text"].split())[:110]
            what = f"{'/'.join(sorted(gold))} -> {','.join(needs)}"
            self.misses.append((row.get("id", ""), what, text))

    def line(self, name: str) -> str:
        n = self.n
        return (
            f"| {name} | {n} | {self.main / n:.3f} | {self.first / n:.3f} | "
            f"{self.labels / n:.2f} | {self.vision / n:.3f} | "
            f"{(self.labels + self.multilingual) / n:.2f} |"
        )


HEADER = (
    "| set | requests | main need found | main need first | labels/request | vision claimed "
    "| with multilingual |\n|---|---:|---:|---:|---:|---:|---:|"
)


def measure(
    rows: Iterable[dict[str, Any]], decide: Decide, key: Callable[[dict[str, Any]], str]
) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for row in rows:
        names = decide(row["text"])
        tallies[key(row)].add(row, names)
        tallies["all"].add(row, names)
    return tallies


def per_label_table(t: Tally) -> str:
    lines = ["| label | precision | recall | tp/fp/fn |", "|---|---:|---:|---|"]
    for label, c in sorted(t.per_label.items()):
        tp, fp, fn = c["tp"], c["fp"], c["fn"]
        p = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        r = f"{tp / (tp + fn):.2f}" if tp + fn else "-"
        lines.append(f"| {label} | {p} | {r} | {tp}/{fp}/{fn} |")
    return "\n".join(lines)


def confusion_table(t: Tally) -> str:
    golds = sorted({g for g, _ in t.confusion})
    firsts = sorted({f for _, f in t.confusion})
    lines = [
        "| expected \\ first label | " + " | ".join(firsts) + " |",
        "|---|" + "---:|" * len(firsts),
    ]
    for g in golds:
        lines.append(f"| {g} | " + " | ".join(str(t.confusion[g, f] or "") for f in firsts) + " |")
    return "\n".join(lines)


def decider(name: str, model: Model) -> Decide:
    """The categories an analyser reports for a text."""
    if name == "rules":
        return lambda text: list(rules_analyser.analyse_task(text).categories)
    if name == "learned":
        return lambda text: [label for label, _p in model.decide(model.probabilities(text))]
    return lambda text: list(analyser.analyse_task(text, model).categories)


def report(name: str, held: list[dict[str, Any]], model: Model, regression: bool) -> str:
    decide = decider(name, model)
    by_set = measure(held, decide, lambda r: f"{r['source']} {r['lang']}")
    by_lang = measure(held, decide, lambda r: r["lang"])
    out = [
        f"Analyser: {name}; classifier rule threshold={model.threshold}, "
        f"max_labels={model.max_labels} ({model.meta.get('validation')})",
        "",
        "## By set",
        HEADER,
        *(t.line(k) for k, t in sorted(by_set.items())),
        "",
        "## By language",
        HEADER,
        *(t.line(k) for k, t in sorted(by_lang.items())),
        "",
        "## Per label (all requests)",
        per_label_table(by_set["all"]),
        "",
        "## Confusion: expected label (rows) against the first label reported (columns)",
        confusion_table(by_set["all"]),
    ]
    if regression:
        tallies = measure(regression_rows(), decide, lambda r: f"tests/data {r['lang']}")
        out += ["", "## Regression: tests/data/task_requests.jsonl", HEADER]
        out += [t.line(k) for k, t in sorted(tallies.items())]
    out += ["", "## Misses (expected -> reported), first 40"]
    out += [f"- `{i}` {what}: {text}" for i, what, text in by_set["all"].misses[:40]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alignbench-mirrors", type=Path, default=None)
    parser.add_argument("--analyser", choices=("default", "rules", "learned"), default="default")
    parser.add_argument("--model", type=Path, default=None, help="weights (default: shipped)")
    parser.add_argument("--validation", type=Path, default=None, metavar="MODEL")
    args = parser.parse_args()
    if args.validation:
        model = load_model(args.validation)
        print(report(args.analyser, validation_rows(), model, regression=False))
        return
    model = load_model(args.model) if args.model else load_model()
    print(report(args.analyser, held_out_rows(args.alignbench_mirrors), model, regression=True))


if __name__ == "__main__":
    main()
