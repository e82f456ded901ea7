"""Rebuild `neoclone_core/data/model_knowledge.json`, what ranking knows of each model.

Two steps, so that the build itself needs no network and a test can repeat it:

``extract`` copies the few columns needed from fetched public leaderboard repositories into
`scripts/knowledge/inputs/` and records each one's repository, commit, path, licence and date
in `inputs/sources.json` (`scripts/knowledge/SOURCES.md` explains them)::

    python scripts/build_model_knowledge.py extract \\
        --arena-catalog /path/to/lmarena/arena-catalog.git \\
        --leaderboard-csv /path/to/fboulnois/llm-leaderboard-csv.git \\
        --aider /path/to/Aider-AI/aider.git

``build`` (the default) turns those inputs into the knowledge file::

    python scripts/build_model_knowledge.py

When a new leaderboard snapshot appears, fetch the repositories again, run both steps, and
review the diff of the knowledge file and of `scripts/knowledge/COVERAGE.md`
(``python scripts/build_model_knowledge.py coverage`` rewrites it).

Each family keeps, per metric, the figure of the most recent source that has one: the
LMArena catalog (December 2025, with categories) before the LMArena CSV snapshot (August 2025,
which still lists models the newer file dropped). Names from every source are placed with
the same matcher the runtime uses (`neoclone_core.discover.knowledge`), so a leaderboard's
`Meta-Llama-3.1-405B-Instruct-fp8` and a provider's `meta/Meta-Llama-3.1-405B-Instruct` end
up in one family.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import statistics
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from neoclone_core.discover import knowledge as kn  # noqa: E402

INPUTS = ROOT / "scripts" / "knowledge" / "inputs"
OUTPUT = ROOT / "neoclone_core" / "data" / "model_knowledge.json"
COVERAGE = ROOT / "scripts" / "knowledge" / "COVERAGE.md"
SNAPSHOT = ROOT / "neoclone_core" / "data" / "snapshot.json"

# LMArena category -> our metric name.
ARENA_CATEGORIES = {
    "full": "text",
    "coding": "coding",
    "math": "math",
    "hard_6": "hard",
    "creative_writing": "creative",
}
SOURCE_NAMES = {
    "text": "LMArena text",
    "coding": "LMArena coding",
    "math": "LMArena math",
    "hard": "LMArena hard prompts",
    "creative": "LMArena creative writing",
    "vision": "LMArena vision",
    "aider": "Aider polyglot",
}

# Leaderboard spellings that no rule joins to the family the other sources use.
LEADERBOARD_ALIASES = {
    "llama-3.3-nemotron-49b-super-v1": "llama-3.3-nemotron-super-49b-v1",
    "deepseek-chat-v2.5": "deepseek-v2.5",
    "deepseek-chat-v3-prev": "deepseek-v3",
    "codestral-25.01": "codestral-2501",
    "o1-mini-20240912": "o1-mini",
    "command-a-03-2025-quality": "command-a-03-2025",
    "command-a-03-2025": "command-a-03-2025",
    "kimi-k2": "kimi-k2-0711-preview",
    "qwen3-235b-a22b-diff-no-think-alibaba-api": "qwen3-235b-a22b",
    "athene-v2-chat-72b": "athene-v2-chat",
}

# --- extract ----------------------------------------------------------------------------

ARENA_CATALOG = (
    "lmarena/arena-catalog",
    "data/leaderboard-text.json",
    "data/leaderboard-vision.json",
)
LEADERBOARD_CSV = (
    "fboulnois/llm-leaderboard-csv",
    "csv/lmarena_text.csv",
    "csv/lmarena_vision.csv",
)
AIDER = ("Aider-AI/aider", "aider/website/_data/polyglot_leaderboard.yml")


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True, text=True
    ).stdout


def _last_change(git_dir: Path, path: str) -> tuple[str, str, str]:
    """(commit, commit date, subject) of the last commit that changed `path`."""
    out = _git(git_dir, "log", "-1", "--format=%H%x00%cs%x00%s", "--", path)
    commit, date, subject = out.strip().split("\x00")
    return commit, date, subject


def _write_csv(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def extract_arena_catalog(git_dir: Path, inputs: Path) -> list[dict[str, str]]:
    """LMArena's own leaderboard export: text (five categories) and vision, ratings only."""
    repo, text_path, vision_path = ARENA_CATALOG
    sources = []
    for path, categories, file, metrics in (
        (
            text_path,
            ARENA_CATEGORIES,
            "lmarena-catalog-text.csv",
            "text, coding, math, hard, creative",
        ),
        (vision_path, {"full": "vision"}, "lmarena-catalog-vision.csv", "vision"),
    ):
        commit, date, subject = _last_change(git_dir, path)
        board = json.loads(_git(git_dir, "show", f"{commit}:{path}"))
        rows = [
            (
                category,
                model,
                f"{r['rating']:.2f}",
                f"{r['rating_q025']:.2f}",
                f"{r['rating_q975']:.2f}",
            )
            for category in categories
            for model, r in sorted(board[category].items())
        ]
        _write_csv(
            inputs / file, ["category", "model", "rating", "rating_q025", "rating_q975"], rows
        )
        sources.append(
            {
                "id": file.removesuffix(".csv"),
                "file": file,
                "kind": "arena-catalog",
                "metrics": metrics,
                "repo": repo,
                "commit": commit,
                "path": path,
                "date": date,
                "licence": "none stated in the repository; "
                "the data is LMArena's public leaderboard",
                "note": f"commit '{subject}'; categories {', '.join(categories)}; "
                "ratings without style control",
            }
        )
    return sources


def extract_leaderboard_csv(git_dir: Path, inputs: Path) -> list[dict[str, str]]:
    """fboulnois's dated CSVs of the LMArena leaderboard; the version date is the data's."""
    repo, text_path, vision_path = LEADERBOARD_CSV
    sources = []
    for path, file, metric in (
        (text_path, "lmarena-csv-text.csv", "text"),
        (vision_path, "lmarena-csv-vision.csv", "vision"),
    ):
        commit, commit_date, subject = _last_change(git_dir, path)
        version = re.search(r"version (\d{4})\.(\d\d)\.(\d\d)", subject)
        date = "-".join(version.groups()) if version else commit_date
        reader = csv.DictReader(_git(git_dir, "show", f"{commit}:{path}").splitlines())
        keep = ["model", "arena_score", "95_pct_ci", "votes", "organization", "license"]
        _write_csv(inputs / file, keep, ([row[k] for k in keep] for row in reader))
        sources.append(
            {
                "id": file.removesuffix(".csv"),
                "file": file,
                "kind": "arena-csv",
                "metrics": metric,
                "repo": repo,
                "commit": commit,
                "path": path,
                "date": date,
                "licence": "MPL-2.0 (the repository); the figures are LMArena's public leaderboard",
                "note": f"commit '{subject}' of {commit_date}",
            }
        )
    return sources


def read_flat_yaml_list(text: str) -> list[dict[str, str]]:
    """The Aider leaderboard's YAML: a list of flat `key: value` mappings, nothing nested."""
    records: list[dict[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        field = line
        if line.startswith("- "):
            records.append({})
            field = line[2:]
        key, _, value = field.strip().partition(":")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        records[-1][key] = value
    return records


def extract_aider(git_dir: Path, inputs: Path) -> list[dict[str, str]]:
    """The Aider polyglot benchmark: per run, the model, format, pass rate and date."""
    repo, path = AIDER
    commit, date, subject = _last_change(git_dir, path)
    records = read_flat_yaml_list(_git(git_dir, "show", f"{commit}:{path}"))
    keep = ["model", "edit_format", "pass_rate_2", "date", "command"]
    file = "aider-polyglot.csv"
    _write_csv(inputs / file, keep, ([r.get(k, "") for k in keep] for r in records))
    return [
        {
            "id": "aider-polyglot",
            "file": file,
            "kind": "aider",
            "metrics": "aider",
            "repo": repo,
            "commit": commit,
            "path": path,
            "date": date,
            "licence": "Apache-2.0",
            "note": f"commit '{subject}'; each figure is dated by its own run",
        }
    ]


# --- build ------------------------------------------------------------------------------


def load_sources(inputs: Path = INPUTS) -> list[dict[str, str]]:
    """The recorded inputs, newest source first within each kind, as `extract` wrote them."""
    sources: list[dict[str, str]] = json.loads((inputs / "sources.json").read_text("utf-8"))
    return sources


def _rows(inputs: Path, file: str) -> list[dict[str, str]]:
    with (inputs / file).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_figures(inputs: Path, source: Mapping[str, str]) -> list[dict[str, Any]]:
    """One source's figures: metric, leaderboard name, score, confidence width, date, note."""
    rows = _rows(inputs, source["file"])
    if source["kind"] == "arena-catalog":
        vision = source["metrics"] == "vision"
        return [
            {
                "metric": "vision" if vision else ARENA_CATEGORIES[r["category"]],
                "name": r["model"],
                "score": round(float(r["rating"])),
                "date": source["date"],
                "width": float(r["rating_q975"]) - float(r["rating_q025"]),
                "note": "",
            }
            for r in rows
        ]
    if source["kind"] == "arena-csv":
        return [
            {
                "metric": source["metrics"],
                "name": r["model"],
                "score": int(r["arena_score"]),
                "date": source["date"],
                "note": "",
                "width": sum(abs(int(x)) for x in re.findall(r"[+-]\d+", r["95_pct_ci"])),
            }
            for r in rows
        ]
    figures = []
    for r in rows:
        if r["edit_format"] == "architect" or "+" in r["model"]:
            continue  # two models at work: no one model's figure
        figures.append(
            {
                "metric": "aider",
                "name": r["model"],
                "score": float(r["pass_rate_2"]),
                "date": r["date"],
                "width": -float(r["pass_rate_2"]),  # best run wins
                "note": f"{r['model']}, {r['edit_format']} format",
            }
        )
    return figures


def leaderboard_key(name: str) -> str:
    """A leaderboard name as a family key: Aider's ``(high)``-style run notes dropped, but
    a version in brackets kept (``DeepSeek V3 (0324)`` is ``deepseek-v3-0324``)."""
    name = re.sub(r"\((\d{4})\)", r"\1", name)
    name = re.sub(r"\((?![\d-]+\))[^)]*\)", "", name)
    key = kn.family_key(name)
    return LEADERBOARD_ALIASES.get(key, kn.alias(key) or key)


def place_names(figures: list[dict[str, Any]], families: dict[str, dict[str, Any]]) -> None:
    """Give each figure a family, joining one from an earlier source when the runtime
    matcher would. Names of the same source join only when their keys are equal: one
    leaderboard lists `phi-3-mini-4k-instruct` and `phi-3-mini-128k-instruct` as two models."""
    index = kn.FamilyIndex(families)
    for figure in figures:
        key = leaderboard_key(figure["name"])
        found, _ = index.find(key, frozenset(), allow_nearest=False)
        family = found if found else key
        figure["family"] = family
        families.setdefault(family, {"family": family}).setdefault("_names", set()).add(
            figure["name"]
        )


def choose(
    figures: list[dict[str, Any]], source: Mapping[str, str], families: dict[str, dict[str, Any]]
) -> None:
    """Per family and metric keep one figure: an earlier (preferred) source's stays; within
    a source the best-measured row (narrowest interval; for Aider, the best run) wins."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for figure in figures:
        slot = (figure["family"], figure["metric"])
        if slot not in best or (figure["width"], figure["name"]) < (
            best[slot]["width"],
            best[slot]["name"],
        ):
            best[slot] = figure
    for (family, metric), figure in sorted(best.items()):
        entry = families[family]
        if metric in entry:
            continue
        entry[metric] = {
            "score": figure["score"],
            "source": SOURCE_NAMES[metric],
            "date": figure["date"],
        }
        if figure["note"]:
            entry[metric]["note"] = figure["note"]
        entry.setdefault("_from", set()).add(source["id"])


def fit_prior(families: Mapping[str, Mapping[str, Any]], date: str) -> dict[str, Any]:
    """Least squares of arena text score on log2(effective size) over the chat families whose
    names state their size; clipped between the 5th and 90th percentile of those scores, so
    a prior never outranks the models that were measured."""
    points = []
    for family, entry in families.items():
        kinds = kn.kinds_of(family)
        size = kn.effective_params(*kn.params_from_name(family))
        if "text" in entry and size and kinds.isdisjoint({kn.BASE, kn.ROLEPLAY, kn.NOT_CHAT}):
            points.append((math.log2(size), float(entry["text"]["score"])))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x in xs)
    cuts = statistics.quantiles(ys, n=20)
    return {
        "intercept": round(mean_y - slope * mean_x, 1),
        "per_doubling": round(slope, 1),
        "floor": round(cuts[0]),
        "ceiling": round(cuts[17]),
        "unknown_size_b": 7.0,
        "roleplay_penalty": 50.0,
        "date": date,
        "fitted_on": len(points),
        "formula": "intercept + per_doubling * log2(effective billions), clipped to "
        "[floor, ceiling]; effective = sqrt(total * active) for a mixture of "
        "experts; unknown size counts as unknown_size_b; role-play fine-tunes lose "
        "roleplay_penalty; fitted on LMArena text figures of chat models whose "
        "names state their size",
    }


def build_knowledge(inputs: Path = INPUTS) -> dict[str, Any]:
    """The knowledge document from the recorded inputs; pure, so a test can compare it."""
    sources = load_sources(inputs)
    families: dict[str, dict[str, Any]] = {}
    for source in sources:  # sources.json lists the preferred source first
        figures = read_figures(inputs, source)
        place_names(figures, families)
        choose(figures, source, families)
    entries = []
    for family in sorted(families):
        entry = families[family]
        if not any(metric in entry for metric in kn.METRICS):
            continue
        total, active = kn.parse_params(family)
        out: dict[str, Any] = {"family": family}
        out.update({metric: entry[metric] for metric in kn.METRICS if metric in entry})
        out.update(
            {
                "params_total_b": total,
                "params_active_b": active,
                "kinds": sorted(kn.kinds_of(family)),
                "names": sorted(entry["_names"]),
            }
        )
        entries.append(out)
    newest = max(s["date"] for s in sources if s["kind"] == "arena-catalog")
    return {
        "about": "What public leaderboards say of each model family; built by "
        "scripts/build_model_knowledge.py from scripts/knowledge/inputs/. Every "
        "figure names its source and the date of its snapshot.",
        "schema": 1,
        "sources": [
            {k: s[k] for k in ("id", "metrics", "repo", "commit", "path", "date", "licence")}
            for s in sources
        ],
        "prior": fit_prior(families, newest),
        "families": entries,
    }


def write_json(document: Mapping[str, Any], path: Path = OUTPUT) -> None:
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", "utf-8")


# --- coverage ---------------------------------------------------------------------------


def coverage(document: Mapping[str, Any], snapshot: Path = SNAPSHOT) -> str:
    """A Markdown report: which snapshot models have a leaderboard figure, which a prior."""
    base = kn.KnowledgeBase(document)
    models = json.loads(snapshot.read_text("utf-8"))["models"]
    placed, priors = [], []
    for model in models:
        k = base.lookup(model["id"], model.get("display_name", ""))
        (priors if k.is_prior else placed).append((model["id"], k))
    lines = [
        "# Coverage of the bundled catalog by the model knowledge",
        "",
        "Written by `python scripts/build_model_knowledge.py coverage`.",
        "",
        f"Of the snapshot's {len(models)} free models, **{len(placed)}** get a leaderboard "
        f"figure and **{len(priors)}** a prior. Per figure, of the placed: "
        + ", ".join(
            f"{metric} {sum(metric in k.figures for _, k in placed)}" for metric in kn.METRICS
        )
        + " (a placed model without its own text figure, such as a vision-only entry, "
        "uses a prior for text).",
        "",
        "## Placed",
        "",
        "| model | family | how | figures |",
        "|---|---|---|---|",
    ]
    for model_id, k in placed:
        figures = ", ".join(f"{m} {f.score:g}" for m, f in k.figures.items())
        lines.append(f"| `{model_id}` | `{k.family}` | {k.matched_by} | {figures} |")
    kinds = {
        "not a chat model (base, never planned for chat)": "not a chat model",
        "derived from a measured model (its parent's figure)": "derived from",
        "scaled from a measured sibling of another size": "scaled from",
    }
    counts = {
        label: sum(words in k.explanation for _, k in priors) for label, words in kinds.items()
    }
    counts["size and kind only (the fitted line)"] = len(priors) - sum(counts.values())
    lines += ["", "## Given a prior", ""]
    lines += [f"- {label}: {count}" for label, count in counts.items()]
    lines += ["", "| model | prior | why |", "|---|---|---|"]
    for model_id, k in priors:
        lines.append(f"| `{model_id}` | {k.estimate.score:g} | {k.explanation} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    extract = sub.add_parser("extract", help="copy leaderboard inputs from fetched git dirs")
    extract.add_argument("--arena-catalog", type=Path, required=True)
    extract.add_argument("--leaderboard-csv", type=Path, required=True)
    extract.add_argument("--aider", type=Path, required=True)
    sub.add_parser("build", help="write the knowledge file from the inputs (the default)")
    sub.add_parser("coverage", help="rewrite scripts/knowledge/COVERAGE.md")
    args = parser.parse_args(argv)
    if args.command == "extract":
        INPUTS.mkdir(parents=True, exist_ok=True)
        sources = [
            *extract_arena_catalog(args.arena_catalog, INPUTS),
            *extract_leaderboard_csv(args.leaderboard_csv, INPUTS),
            *extract_aider(args.aider, INPUTS),
        ]
        (INPUTS / "sources.json").write_text(json.dumps(sources, indent=1) + "\n", "utf-8")
        print(f"wrote {len(sources)} inputs to {INPUTS}")
        return 0
    document = build_knowledge()
    if args.command == "coverage":
        COVERAGE.write_text(coverage(document), "utf-8")
        print(f"wrote {COVERAGE}")
        return 0
    write_json(document)
    print(f"wrote {len(document['families'])} families to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
