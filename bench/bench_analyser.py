"""How long the default task analyser takes, and how much memory its weights add.

Run: python bench/bench_analyser.py [repetitions]. Measures, in one fresh process:
loading the weights, the median and 95th percentile of the whole default analysis
(`analyser.analyse_task`: rules, classifier, difficulty) over typical requests and of a
100,000-character document (read from its head and tail only), and of the classifier
alone (`_classifier.top_labels`) and the rule analyser alone for comparison. Resident
memory is read from /proc/self/status (VmRSS) before and after loading, so it counts what
the weights add to a process that already imported neoclone_core. Budgets (issue 13):
p50 <= 2 ms for a typical request, <= 20 ms for the document, <= 40 MB added.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from neoclone_core.default_plugins import _classifier, analyser, rules_analyser

TYPICAL = (
    "Write a persuasive essay arguing for or against the use of social media.",
    "If x + y = z and x * y = z, then what is x - y?",
    "Please write a birthday card that is funny, sweet and memorable.",
    "Fix this: const total = items.reduce((a, b) => a + b.price); prints NaN sometimes.",
    "Résume ce texte en trois points : le conseil municipal a voté mardi un nouveau plan.",
    "¿Cuál es la diferencia entre un proceso y un hilo?",
    "Übersetze bitte ins Englische: Ich hätte gern einen Kaffee.",
    "请用Python写一个快速排序函数，并解释它的时间复杂度。",  # noqa: RUF001
    "Hi! How are you doing today?",
    "Who painted the ceiling of the Sistine Chapel, and how long did it take?",
)
DOCUMENT = (
    "Summarise the key findings of the following report.\n"
    + ("The committee reviewed the quarterly figures and noted steady growth. " * 1500)
)[:100_000]


def rss_mb() -> float:
    """The process's resident memory in MB (Linux), or 0 where /proc is missing."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(call: Callable[[], object], repetitions: int) -> list[float]:
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def line(name: str, times: list[float]) -> str:
    p95 = times[int(len(times) * 0.95) - 1]
    return f"{name:<34} p50 {statistics.median(times):7.3f} ms   p95 {p95:7.3f} ms"


def main() -> None:
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    before = rss_mb()
    start = time.perf_counter()
    _classifier.load_model()
    load_ms = (time.perf_counter() - start) * 1000
    added = rss_mb() - before
    print(f"{'load weights (first call)':<34} {load_ms:7.1f} ms   RSS added {added:5.1f} MB")
    for name, call in (
        ("default analyser", analyser.analyse_task),
        ("classifier alone", _classifier.top_labels),
        ("rule analyser", rules_analyser.analyse_task),
    ):
        typical: list[float] = []
        for text in TYPICAL:
            typical.extend(timed(lambda c=call, t=text: c(t), repetitions))  # type: ignore[misc]
        typical.sort()
        print(line(f"{name}, typical request", typical))
        print(line(f"{name}, 100,000 characters", timed(lambda c=call: c(DOCUMENT), 50)))  # type: ignore[misc]


if __name__ == "__main__":
    main()
