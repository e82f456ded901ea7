"""Ranking the catalog for one task: the scoring plugins' components summed per model, and
`Ranking`, the result, best first, as `Neoclone.rank` returns it.

Ranking runs on every request that lets neoclone plan, over the whole catalog
(thousands of models), yet what reads it needs little of it: selection walks every
model but no score, and a recommendation shows the scores of five. So a `Ranking` holds
the models in rank order, and builds each model's `ScoredModel` (and its `Score`) only
when it is read. Building them all would be half the time of a plan.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

from neoclone_core.errors import PluginError
from neoclone_core.models import ModelInfo, Score, ScoreComponent, ScoredModel, TaskProfile

if TYPE_CHECKING:
    from neoclone_core.config import Settings
    from neoclone_core.plugins import Plugins
    from neoclone_core.score.observations import Observations


class Ranking(Sequence[ScoredModel]):
    """Scored models, highest total first (ties by id); a read-only sequence.

    `models` lists the models in that order without building any `ScoredModel`;
    `score_of(model)` gives one model's score.
    """

    __slots__ = ("_built", "_components", "_ids", "_order", "models")

    def __init__(
        self,
        models: Sequence[ModelInfo],
        ids: Sequence[str],
        components: Sequence[tuple[ScoreComponent, ...]],
        order: Sequence[int],
    ) -> None:
        """`models`, their `ids` and score `components` as scored; `order` their
        positions, best first."""
        self.models: list[ModelInfo] = [models[i] for i in order]
        self._ids = ids
        self._components = components
        self._order = order
        self._built: list[ScoredModel | None] = [None] * len(order)

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> ScoredModel: ...

    @overload
    def __getitem__(self, index: slice) -> list[ScoredModel]: ...

    def __getitem__(self, index: int | slice) -> ScoredModel | list[ScoredModel]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        built = self._built[index]  # IndexError past the end, as a list
        if built is None:
            at = self._order[index]
            built = ScoredModel(self.models[index], Score(self._ids[at], self._components[at]))
            self._built[index] = built
        return built

    def __iter__(self) -> Iterator[ScoredModel]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"Ranking({len(self)} models)"

    def score_of(self, model: ModelInfo) -> Score | None:
        """The score `model` was ranked by, or None if it was not ranked here."""
        try:
            position = self.models.index(model)  # plans name models near the top
        except ValueError:
            return None
        return self[position].score


def rank_models(
    plugins: Plugins,
    profile: TaskProfile,
    candidates: Sequence[ModelInfo],
    observations: Observations,
    settings: Settings,
) -> Ranking:
    """`candidates` scored by every scoring plugin for `profile`, best first (ties by id).

    Plugins' components are summed, component by component, so a plugin adds points to
    the default policy's instead of replacing it. A plugin that returns a score count other
    than the candidates' is a PluginError naming it.
    """
    components: list[tuple[ScoreComponent, ...]] = [()] * len(candidates)
    kwargs = {
        "profile": profile,
        "models": candidates,
        "observations": observations,
        "settings": settings,
    }
    for plugin, result in plugins.calls("neoclone_score", kwargs):
        if result is None:
            continue
        if len(result) != len(candidates):
            msg = (
                f"scoring plugin {plugin!r} returned {len(result)} scores"
                f" for {len(candidates)} models"
            )
            raise PluginError(msg)
        # () + a tuple is that tuple: one plugin's components are not copied.
        components = [parts + tuple(extra) for parts, extra in zip(components, result, strict=True)]
    # Ids and totals computed once each, not in every comparison of the sort.
    ids = [model.id for model in candidates]
    points = operator.attrgetter("points")
    totals = [sum(map(points, parts)) for parts in components]
    order = sorted(range(len(candidates)), key=ids.__getitem__)  # ties: by id
    order.sort(key=totals.__getitem__, reverse=True)  # stable, also when reversed
    return Ranking(candidates, ids, components, order)
