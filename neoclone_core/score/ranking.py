"""Ranking the catalog for one task: the scoring plugins' components summed per model, and
`Ranking`, the result, best first, as `Neoclone.rank` returns it.

Ranking runs on every request that lets neoclone plan, over the whole catalog
(thousands of models), yet what reads it needs little of it: selection walks every
model but no score, and a recommendation shows the scores of five. So a `Ranking` holds
the models in rank order, and builds each model's `ScoredModel` (and its `Score`) only
when it is read. Building them all would be half the time of a plan.

A scoring plugin may answer by columns (`ScoreColumns`: per component, a table of the
distinct components and each model's index in it; a `ComponentTable` builds its components
only when read). Ranking then sums each model's points from the tables, without a tuple
per model, and keeps what a catalog always gives (its ids and their order) per catalog
(`catalog_key`), so a ranking is a few passes at C speed over the catalog.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar, overload

from neoclone_core.errors import PluginError
from neoclone_core.models import ModelInfo, Score, ScoreComponent, ScoredModel, TaskProfile

if TYPE_CHECKING:
    from neoclone_core.config import Settings
    from neoclone_core.plugins import Plugins
    from neoclone_core.score.observations import Observations

K = TypeVar("K", bound=Hashable)


class Ranking(Sequence[ScoredModel]):
    """Scored models, highest total first (ties by id); a read-only sequence.

    `models` lists the models in that order without building any `ScoredModel`;
    `score_of(model)` gives one model's score; `positions` gives, best first, each model's
    position among the `candidates` as they were scored (for memos kept per catalog).
    """

    __slots__ = ("_built", "_components", "_ids", "candidates", "models", "positions")

    def __init__(
        self,
        models: Sequence[ModelInfo],
        ids: Sequence[str],
        components: Sequence[tuple[ScoreComponent, ...]],
        order: Sequence[int],
    ) -> None:
        """`models`, their `ids` and score `components` as scored; `order` their
        positions, best first."""
        self.models: list[ModelInfo] = list(map(models.__getitem__, order))
        self.candidates = models  # as scored: `positions` index it, best first
        self.positions = order
        self._ids = ids
        self._components = components
        self._built: list[ScoredModel | None] = [None] * len(order)

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, index: int) -> ScoredModel: ...

    @overload
    def __getitem__(self, index: slice) -> list[ScoredModel]: ...

    def __getitem__(self, index: int | slice) -> ScoredModel | list[ScoredModel]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        built = self._built[index]  # IndexError past the end, as a list
        if built is None:
            at = self.positions[index]
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


class ComponentTable(Sequence[ScoreComponent]):
    """A column's distinct components, each built when it is first read, with the points
    of all known beforehand: ranking sums a catalog from `points`, and only the models
    someone reads build their components (and the reasons that cite every figure)."""

    __slots__ = ("_build", "_built", "points")

    def __init__(self, points: Sequence[float], build: Callable[[int], ScoreComponent]) -> None:
        """`points[i]` is the points of `build(i)`, which is called at most once per `i`."""
        self.points = points
        self._build = build
        self._built: list[ScoreComponent | None] = [None] * len(points)

    def __len__(self) -> int:
        return len(self.points)

    @overload
    def __getitem__(self, index: int) -> ScoreComponent: ...

    @overload
    def __getitem__(self, index: slice) -> list[ScoreComponent]: ...

    def __getitem__(self, index: int | slice) -> ScoreComponent | list[ScoreComponent]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        built = self._built[index]  # IndexError past the end, as a list
        if built is None:
            built = self._built[index] = self._build(index % len(self.points))
        return built


class ScoreColumns(Sequence[tuple[ScoreComponent, ...]]):
    """A scoring plugin's answer by columns, for catalogs that repeat their components:
    model `i`'s component `j` is ``tables[j][indices[j][i]]`` (`columns` holds the
    (table, indices) pairs). It reads as the list of per-model tuples the hook returns,
    building a tuple when it is read; ranking sums it by columns, a few points per table
    instead of a call per model, and never builds the tuples of models nobody reads."""

    __slots__ = ("_length", "columns")

    def __init__(
        self, columns: Sequence[tuple[Sequence[ScoreComponent], Sequence[int]]], length: int
    ) -> None:
        self.columns = tuple(columns)
        self._length = length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> tuple[ScoreComponent, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[ScoreComponent, ...]]: ...

    def __getitem__(
        self, index: int | slice
    ) -> tuple[ScoreComponent, ...] | list[tuple[ScoreComponent, ...]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if not -self._length <= index < self._length:
            msg = "ScoreColumns index out of range"
            raise IndexError(msg)
        return tuple(table[indices[index]] for table, indices in self.columns)

    def totals(self) -> list[float]:
        """Each row's `sum()` of points, computed a table at a time."""
        if not self.columns:
            return [0] * self._length
        points = [
            itertools.repeat(table[0].points, self._length)  # one component for all
            if len(table) == 1
            else map(_points_of(table).__getitem__, at)
            for table, at in self.columns
        ]
        return list(map(sum, zip(*points, strict=True)))

    @classmethod
    def of(cls, rows: Sequence[Sequence[ScoreComponent]]) -> ScoreColumns | None:
        """`rows` by columns (each its own table), or None when the rows differ in length."""
        if isinstance(rows, ScoreColumns):
            return rows
        if len(set(map(len, rows))) > 1:
            return None
        positions = range(len(rows))
        return cls([(column, positions) for column in zip(*rows, strict=True)], len(rows))

    def __add__(self, other: ScoreColumns) -> ScoreColumns:
        return ScoreColumns(self.columns + other.columns, self._length)


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
    candidates = tuple(candidates)  # one catalog for every plugin (see `catalog_key`)
    components: Sequence[tuple[ScoreComponent, ...]] = ScoreColumns((), len(candidates))
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
        components = _joined(components, result)
    if isinstance(components, ScoreColumns):
        totals = components.totals()
    else:
        totals = [sum(map(_POINTS, parts)) for parts in components]
    ids, by_id = _ID_ORDERS.of(candidates)
    order = sorted(by_id, key=totals.__getitem__, reverse=True)  # stable: ties stay by id
    return Ranking(candidates, ids, components, order)


_POINTS = operator.attrgetter("points")


def _points_of(table: Sequence[ScoreComponent]) -> Sequence[float]:
    """The points of each component of a table, without building a `ComponentTable`'s."""
    return table.points if isinstance(table, ComponentTable) else [c.points for c in table]


def _joined(
    components: Sequence[tuple[ScoreComponent, ...]], result: Sequence[Sequence[ScoreComponent]]
) -> Sequence[tuple[ScoreComponent, ...]]:
    """Each model's components so far, then `result`'s: by columns while every plugin's
    rows are of one length, else as a list of per-model tuples."""
    if isinstance(components, ScoreColumns) and (columns := ScoreColumns.of(result)) is not None:
        return components + columns
    # tuple() of a tuple is that tuple: nothing is copied; () + a tuple is that tuple.
    return list(map(operator.add, map(tuple, components), map(tuple, result)))


class _IdOrders:
    """Per catalog, its models' ids and their positions sorted by id, for ranking's
    ties: computing 5,000 ids and sorting them is most of a ranking's time, and every
    request ranks the same catalog. A catalog is the same entries in the same order (their
    `id()`s, kept with the entries so that no id is reused); up to `LIMIT` are kept."""

    LIMIT = 8

    def __init__(self) -> None:
        self._memo: dict[tuple[int, ...], tuple[Sequence[ModelInfo], list[str], list[int]]] = {}

    def of(self, models: Sequence[ModelInfo]) -> tuple[list[str], list[int]]:
        key = catalog_key(models)
        if (hit := self._memo.get(key)) is None:
            if len(self._memo) >= self.LIMIT:
                self._memo.clear()  # old catalogs; this one's comes back at once
            ids = [model.id for model in models]
            hit = self._memo[key] = (
                tuple(models),
                ids,
                sorted(range(len(ids)), key=ids.__getitem__),
            )
        return hit[1], hit[2]


_ID_ORDERS = _IdOrders()


class _CatalogKeys:
    """`catalog_key`, remembered for the last tuple of entries: ranking hands each
    scoring plugin the same tuple, which cannot change, so the key is computed once per
    ranking rather than once per plugin and memo."""

    def __init__(self) -> None:
        self.last: tuple[Sequence[ModelInfo], tuple[int, ...]] = ((), ())

    def __call__(self, models: Sequence[ModelInfo]) -> tuple[int, ...]:
        """The identity of a catalog: its entries' `id()`s, in order. A memo keyed by it
        must hold the entries, so that no id is reused while the key is there."""
        last, key = self.last
        if models is not last:
            key = tuple(map(id, models))
            if isinstance(models, tuple):
                self.last = (models, key)
        return key


catalog_key = _CatalogKeys()


def distinct_values(values: Sequence[K]) -> tuple[tuple[K, ...], tuple[int, ...]]:
    """The distinct `values` in order of appearance, and each value's index among them:
    a catalog's column of a few distinct values, for lookups at C speed."""
    seen: dict[K, int] = {}
    indices = tuple([seen.setdefault(v, len(seen)) for v in values])
    return tuple(seen), indices
