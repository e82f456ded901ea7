"""neoclone-scoring-largest-context: for long-context tasks, prefer the largest windows.

A model for scoring-plugin authors. The default policy already drops models whose
context cannot hold the task and gives full context points to any that holds it twice
over; for a 300-page document that leaves a 262k model level with a 1M one. This plugin
adds one component, `largest_context`, worth up to 10 points on a log scale (none at 8k
tokens, all 10 at 1M), so the larger window wins. On ordinary requests it abstains
(returns None), so installing it changes nothing there.

How scores combine: the core adds every plugin's components to each model's score. The
default policy weighs 100; with this plugin a long task is scored out of 110, and its
weight (10, a tenth of the default's) is how much it may reorder the default's choice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from neoclone_core import ModelInfo, ScoreComponent, TaskProfile, hookimpl

__all__ = [
    "LONG_TASK_TOKENS",
    "NAME",
    "WEIGHT",
    "is_long_task",
    "largest_context_component",
    "neoclone_score",
]

NAME = "largest_context"
WEIGHT = 10.0
SMALLEST, LARGEST = 8_192, 1_048_576  # no points at 8k tokens, full points at 1M
LONG_TASK_TOKENS = 32_000  # a task needing this much is long even if not labelled so


def is_long_task(profile: TaskProfile) -> bool:
    """The analyser saw a long document, or the task needs a large context anyway."""
    return "long_context" in profile.categories or profile.min_context >= LONG_TASK_TOKENS


def largest_context_component(length: int | None) -> ScoreComponent:
    """Points on a log scale: each doubling of the window is worth the same."""
    if length is None:
        return ScoreComponent(NAME, 0.0, WEIGHT, "context length unknown")
    share = math.log(max(length, SMALLEST) / SMALLEST) / math.log(LARGEST / SMALLEST)
    points = WEIGHT * min(share, 1.0)
    return ScoreComponent(NAME, points, WEIGHT, f"{length:,}-token window")


# The hook spec also passes `observations` and `settings`; an implementation may take
# only the arguments it uses.
@hookimpl
def neoclone_score(
    profile: TaskProfile, models: Sequence[ModelInfo]
) -> list[tuple[ScoreComponent]] | None:
    """One component per model for long tasks; None (abstain) for every other task."""
    if not is_long_task(profile):
        return None
    return [(largest_context_component(model.context_length),) for model in models]
