"""How good the first recommendation is, over public prompts the scoring was never tuned on.

Run: python bench/bench_recommendations.py [--stand-in]. Every request of
`bench/data/recommendation_prompts.jsonl` (public benchmark prompts, sampled once from the
repositories each line names: Arena-Hard v2.0 coding, maths and creative writing, MT-Bench
reasoning, maths and coding, Vicuna-bench everyday questions, LLaVA's COCO questions, and
FastChat's docs as a long document) goes through the real path (`Neoclone.analyse`,
`Neoclone.rank`, `Neoclone.plan`) over the bundled snapshot catalog, with every provider's
key assumed set (the whole catalog is offered). A LLaVA question carries an image, so its
profile gets `vision` required, as the engine adds it for an `image_url` part.

Reported:
- hard requests (Arena-Hard coding and maths, MT-Bench reasoning and maths): the median gap
  in LMArena text points between the first recommendation and the strongest free model that
  can serve the request (and the same on the need's own figure);
- easy requests (Vicuna-bench generic, knowledge, common sense): the share whose first
  recommendation has an LMArena text figure of at least 1250, and the share whose first
  recommendation is not a model with the scarcest daily quota among those that can serve;
- the first model per kind of request (code, maths, vision, long document, creative, quick);
- how often two of a plan's five models have the same total;
- the difficulty each set gets (median, and the share rated hard).

Which difficulty decides how much quality to spend: ``--difficulty analyser`` (the default,
end to end), ``stand-in`` (cleared, so the scoring's own estimate decides) or ``labelled``
(0.9 for the hard sets, 0.1 for the easy one, the rest as analysed: scoring alone, given
the difficulty the benchmark's sets stand for).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import attrs

from neoclone_core import Capability, ModelInfo, Neoclone, Settings, TaskProfile, build_plugins
from neoclone_core.default_plugins import default_policies
from neoclone_core.default_plugins.selection import can_serve
from neoclone_core.discover.knowledge import default_knowledge
from neoclone_core.discover.knowledge_quality import metric_for
from neoclone_core.discover.serialize import model_from_dict

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ROOT / "bench" / "data" / "recommendation_prompts.jsonl"
SNAPSHOT = ROOT / "neoclone_core" / "data" / "snapshot.json"
HARD = ("hard-coding", "hard-math", "hard-reasoning")
KINDS = {
    "code": ("hard-coding", "code"),
    "maths": ("hard-math",),
    "vision": ("vision",),
    "long document": ("long-document",),
    "creative writing": ("creative",),
    "quick question": ("easy",),
}
ADEQUATE = 1250


def text_score(model: ModelInfo) -> float:
    return default_knowledge().of(model).figure("text").score


def need_score(model: ModelInfo, profile: TaskProfile) -> float:
    return default_knowledge().of(model).figure(metric_for(profile)).score


@attrs.frozen
class Outcome:
    group: str
    profile: TaskProfile
    first: ModelInfo | None
    servable: tuple[ModelInfo, ...]
    tie: bool


LABELLED = {**dict.fromkeys(HARD, 0.9), "easy": 0.1}


def outcomes(neoclone: Neoclone, models: list[ModelInfo], difficulty: str) -> Iterator[Outcome]:
    for line in PROMPTS.read_text("utf-8").splitlines():
        row = json.loads(line)
        profile = neoclone.analyse(row["prompt"])
        if row["group"] == "vision":
            profile = attrs.evolve(profile, required=profile.required | {Capability.VISION})
        if difficulty == "stand-in":
            profile = attrs.evolve(profile, difficulty=None)
        elif difficulty == "labelled" and row["group"] in LABELLED:
            profile = attrs.evolve(profile, difficulty=LABELLED[row["group"]])
        ranked = neoclone.rank(profile, models)
        plan = neoclone.plan(profile, 5, ranked=ranked)
        totals = [round(s.total, 9) for m in plan.models if (s := ranked.score_of(m))]
        servable = tuple(m for m in models if can_serve(m, profile))
        yield Outcome(row["group"], profile, plan.primary, servable, len(set(totals)) < len(totals))


def report(results: list[Outcome]) -> None:
    hard = [r for r in results if r.group in HARD and r.first]
    gaps = [max(map(text_score, r.servable)) - text_score(r.first) for r in hard if r.first]
    need = [
        max(need_score(m, r.profile) for m in r.servable) - need_score(r.first, r.profile)
        for r in hard
        if r.first
    ]
    print(f"hard requests: {len(hard)}")
    print(
        f"  median LMArena text gap to the strongest that can serve: {statistics.median(gaps):.0f}"
    )
    print(f"  median gap on the need's own figure: {statistics.median(need):.0f}")
    print(f"  within 30 text points: {sum(g <= 30 for g in gaps) / len(gaps):.0%}")
    for group in HARD:
        part = [g for r, g in zip(hard, gaps, strict=True) if r.group == group]
        print(f"  {group}: median gap {statistics.median(part):.0f} over {len(part)}")
    easy = [r for r in results if r.group == "easy" and r.first]
    adequate = sum(text_score(r.first) >= ADEQUATE for r in easy if r.first)
    print(f"easy requests: {len(easy)}")
    print(f"  first recommendation >= {ADEQUATE}: {adequate / len(easy):.0%}")
    print(f"  not the scarcest-quota model: {sum(map(_not_scarcest, easy)) / len(easy):.0%}")
    print("first model per kind of request (most common, share):")
    for kind, groups in KINDS.items():
        firsts = Counter(r.first.id for r in results if r.group in groups and r.first)
        top, count = firsts.most_common(1)[0]
        print(f"  {kind:<17} {top} ({count / sum(firsts.values()):.0%})")
    ties = sum(r.tie for r in results)
    print(
        f"plans with a tie among their five: {ties} of {len(results)} ({ties / len(results):.0%})"
    )
    given = [r.profile.difficulty for r in results if r.profile.difficulty is not None]
    print(f"requests with a difficulty in their profile: {len(given)} of {len(results)}")
    _report_difficulty(results)


def _report_difficulty(results: list[Outcome]) -> None:
    """The difficulty each set of prompts gets: median, and the share rated hard."""
    print("difficulty by set (median, share >= 0.65):")
    for group in sorted({r.group for r in results}):
        values = [d for r in results if r.group == group if (d := r.profile.difficulty) is not None]
        if values:
            hard = sum(d >= 0.65 for d in values) / len(values)
            print(f"  {group:<15} {statistics.median(values):.2f}  {hard:.0%}")


def _not_scarcest(result: Outcome) -> bool:
    def per_day(model: ModelInfo) -> float:
        limit = model.rate_limit.requests_per_day
        return float("inf") if limit is None else limit

    assert result.first is not None
    return per_day(result.first) > min(map(per_day, result.servable))


def main(difficulty: str) -> None:
    snapshot = json.loads(SNAPSHOT.read_text("utf-8"))
    models = [model_from_dict(m) for m in snapshot["models"]]
    with tempfile.TemporaryDirectory() as home:
        plugins = build_plugins(entry_points=False, extra=default_policies())
        neoclone = Neoclone(Settings(home=Path(home)), plugins=plugins, env={})
        try:
            results = list(outcomes(neoclone, models, difficulty))
        finally:
            neoclone._store.close()
    date = snapshot["snapshot_date"]
    print(f"{len(results)} public prompts, {len(models)} models (snapshot {date}), {difficulty}")
    report(results)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(
        arguments[arguments.index("--difficulty") + 1]
        if "--difficulty" in arguments
        else "analyser"
    )
