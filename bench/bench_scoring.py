"""How long scoring and selecting take over a catalog of 5,000 models, for one request.

Run: python bench/bench_scoring.py [models] [repetitions]. Goes through the real path
(`Neoclone.rank` calls every scoring plugin through the plugin manager, builds the scored
list and sorts it; `Neoclone.plan` calls the selection plugin) with the default policies
only, over a synthetic catalog (20 providers, mixed contexts, capabilities, free or paid).
The models are named after the families of the bundled model knowledge (every provider
offers each family once, so the knowledge join finds leaderboard figures for most and a prior
for the rest), with a mix of daily limits. Prints the median and best of each stage in
milliseconds; the aim is a few milliseconds (issue 14: scoring 5,000 models at most 6 ms
p50).

Scoring remembers what a catalog is (its entries' knowledge, grades, context lengths,
providers) between requests, nothing of a request: "first-time request" ranks with another
difficulty each time, "the same request" repeats one, "a new catalog" ranks entries never
seen (the first request after a scan). On a busy machine, read the figures against the
reference loop, plain Python timed in the same process.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import attrs

from neoclone_core import Capability, ModelInfo, Neoclone, RateLimit, Settings, build_plugins
from neoclone_core.default_plugins import analyser, scoring, selection
from neoclone_core.discover.knowledge import default_knowledge

T = TypeVar("T")
REQUEST = "Write a Python script that reads sales.csv and plots monthly revenue, step by step."
CONTEXTS = (None, 4_096, 8_192, 32_768, 131_072, 200_000, 1_048_576)
CAPABILITIES = [c for c in Capability if c is not Capability.TEXT]
PER_DAY = (None, 8, 50, 150, 250, 1_000, 14_400)


def catalog(size: int, seed: int = 7) -> list[ModelInfo]:
    """`size` synthetic models, the same ones on every run."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible catalog, not a secret)
    families = sorted(default_knowledge().families)
    return [
        ModelInfo(
            f"provider{i % 20}",
            families[(i // 20) % len(families)],
            context_length=rng.choice(CONTEXTS),
            capabilities={Capability.TEXT, *rng.sample(CAPABILITIES, rng.randint(0, 3))},
            free=rng.random() < 0.7,
            rate_limit=RateLimit(requests_per_day=rng.choice(PER_DAY)),
        )
        for i in range(size)
    ]


def timed(work: Callable[[], T], repetitions: int) -> tuple[list[float], T]:
    """Milliseconds for each of `repetitions` runs of `work`, and its last result."""
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        result = work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def line(label: str, samples: list[float]) -> str:
    return f"{label:<36} median {statistics.median(samples):7.2f} ms   best {min(samples):7.2f} ms"


def reference_loop() -> None:
    """Plain Python with nothing of neoclone's, timed beside the stages: how fast this
    machine runs Python right now, to compare runs on a busy machine."""
    sum(i * i for i in range(100_000))


def main(size: int, repetitions: int) -> None:
    models = catalog(size)
    extra = [("default-analyser", analyser), ("default-scoring", scoring)]
    extra.append(("default-selection", selection))
    with tempfile.TemporaryDirectory() as home:
        neoclone = Neoclone(
            Settings(home=Path(home)), plugins=build_plugins(entry_points=False, extra=extra)
        )
        try:
            analyse, profile = timed(lambda: neoclone.analyse(REQUEST), repetitions)
            # A request seen for the first time: another difficulty each time, so that
            # nothing computed for one request can serve the next.
            first = iter([attrs.evolve(profile, difficulty=0.2 + 0.6 * i / repetitions)
                          for i in range(repetitions)])  # fmt: skip
            rank_first, _ = timed(lambda: neoclone.rank(next(first), models), repetitions)
            rank, ranked = timed(lambda: neoclone.rank(profile, models), repetitions)
            plan, chosen = timed(lambda: neoclone.plan(profile, 5, ranked=ranked), repetitions)
            both, _ = timed(
                lambda: neoclone.plan(profile, 5, ranked=neoclone.rank(profile, models)),
                repetitions,
            )
            fresh = [catalog(size) for _ in range(3)]  # the same models, as new entries
            new_catalog, _ = timed(lambda: neoclone.rank(profile, fresh.pop()), 3)
            reference, _ = timed(reference_loop, repetitions)
        finally:
            neoclone._store.close()
    print(f"{size:,} models, {repetitions} repetitions; request: {REQUEST!r}")
    print(line("analyse the request", analyse))
    print(line("score and rank, first-time request", rank_first))
    print(line("score and rank, the same request", rank))
    print(line("select a plan of 5", plan))
    print(line("score + select, one request", both))
    print(line("score and rank, a new catalog", new_catalog))
    print(line("reference loop (machine speed)", reference))
    print(f"plan: {', '.join(m.id for m in chosen.models)}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 5_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 30,
    )
