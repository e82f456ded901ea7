"""What `neoclone recommend` shows: the task profile, the plan's models with every score
component, and why models were left out; as JSON or as a rich table.

Kept out of cli.py so the command stays a few lines and the report can be built and
checked without a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from neoclone_core.discover.serialize import model_to_dict
from neoclone_core.models import Plan, ScoreComponent, TaskProfile
from neoclone_core.select.plan import Recommendation, recommendations

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from neoclone_core.facade import Neoclone


@attrs.frozen
class RecommendReport:
    """One recommendation run: the profile, the plan, its models scored, the catalog size."""

    profile: TaskProfile
    plan: Plan
    recommendations: tuple[Recommendation, ...]
    catalog_size: int

    @classmethod
    def build(
        cls, neoclone: Neoclone, text: str, max_results: int, *, all_providers: bool = False
    ) -> RecommendReport:
        """Analyse `text`, score the catalog once (only what this machine can call,
        unless `all_providers`), plan at most `max_results` models."""
        profile = neoclone.analyse(text)
        ranked = neoclone.rank(profile, all_providers=all_providers)
        plan = neoclone.plan(profile, max_results, ranked=ranked, all_providers=all_providers)
        found = recommendations(profile, plan, ranked)
        return cls(profile, plan, tuple(found), len(ranked))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able report."""
        return {
            "profile": profile_dict(self.profile),
            "plan_reasons": list(self.plan.reasons),
            "catalog_size": self.catalog_size,
            "recommendations": [recommendation_dict(r) for r in self.recommendations],
        }

    def render(self, out: Console, *, explain: bool = False) -> None:
        """The profile, the table, and why models were left out; each component's reason
        for every model with `explain`."""
        for line in profile_lines(self.profile):
            out.print(line)
        if self.recommendations:
            out.print(score_table(self.recommendations))
        else:
            hint = (
                " (the catalog is empty: see `neoclone discover`)" if not self.catalog_size else ""
            )
            out.print(f"[red]No free model can serve this task{hint}.[/]")
        for reason in self.plan.reasons:
            out.print(f"[dim]{reason}[/]")
        if explain:
            for line in explanation_lines(self.recommendations):
                out.print(line)


def profile_dict(profile: TaskProfile) -> dict[str, Any]:
    """The profile without its text (which may be a whole document)."""
    return {
        "required": sorted(c.value for c in profile.required),
        "preferred": sorted(c.value for c in profile.preferred),
        "categories": list(profile.categories),
        "main_need": profile.main_need,
        "difficulty": profile.difficulty,
        "min_context": profile.min_context,
        "wants_streaming": profile.wants_streaming,
        "reasons": list(profile.reasons),
    }


def recommendation_dict(recommendation: Recommendation) -> dict[str, Any]:
    """One recommended model with its total, the most it could score, and each component."""
    components = recommendation.score.components
    return {
        "rank": recommendation.rank,
        "model": model_to_dict(recommendation.model),
        "total": round(recommendation.score.total, 2),
        "max": sum(c.weight for c in components),
        "components": [attrs.asdict(c) for c in components],
    }


def profile_lines(profile: TaskProfile) -> Iterator[str]:
    """A one-line summary of what the task needs, then each reason."""
    needs = ", ".join(sorted(c.value for c in profile.required)) or "-"
    prefers = ", ".join(sorted(c.value for c in profile.preferred)) or "-"
    stream = " | streamed" if profile.wants_streaming else ""
    hard = f" | difficulty: {profile.difficulty:.2f}" if profile.difficulty is not None else ""
    yield (
        f"[bold]Task[/] needs: [bold]{needs}[/] | prefers: {prefers}"
        f" | kind: {', '.join(profile.categories)} | context: {profile.min_context:,}+ tokens"
        f"{hard}{stream}"
    )
    for reason in profile.reasons:
        yield f"  [dim]- {reason}[/]"


# Short headers keep every score visible in an 80-column terminal; a legend follows.
SHORT_NAMES = {
    "capability": "cap",
    "context": "ctx",
    "preference": "pref",
    "free": "free",
    "availability": "avail",
}


def score_table(found: tuple[Recommendation, ...]) -> Table:
    """One row per model: rank, id, total, then every component's points."""
    from rich.table import Table

    names = _component_names(found)
    most = max(sum(c.weight for c in r.score.components) for r in found)
    table = Table(title=f"Recommended free models (scores out of {most:g})")
    table.add_column("#")
    table.add_column("model", overflow="fold", min_width=24)
    for header in ("total", *(SHORT_NAMES.get(name, name[:6]) for name in names)):
        table.add_column(header, justify="right", no_wrap=True)
    for recommendation in found:
        by_name = {c.name: c for c in recommendation.score.components}
        table.add_row(
            str(recommendation.rank),
            recommendation.model.id,
            f"[bold]{recommendation.score.total:.1f}[/]",
            *(_cell(by_name.get(name)) for name in names),
        )
    table.caption = ", ".join(
        f"{SHORT_NAMES.get(name, name[:6])} = {name}"
        for name in names
        if SHORT_NAMES.get(name, name[:6]) != name
    )
    return table


def explanation_lines(found: tuple[Recommendation, ...]) -> Iterator[str]:
    """Every component's points and reason, model by model."""
    for recommendation in found:
        yield f"[bold]{recommendation.rank}. {recommendation.model.id}[/] {_total(recommendation)}"
        for c in recommendation.score.components:
            yield f"   {c.name:<14} {c.points:5.1f}/{c.weight:<5g} {c.reason}"


def _component_names(found: tuple[Recommendation, ...]) -> list[str]:
    """Component names in the order plugins gave them, across all models."""
    names: dict[str, None] = {}
    for recommendation in found:
        names.update(dict.fromkeys(c.name for c in recommendation.score.components))
    return list(names)


def _total(recommendation: Recommendation) -> str:
    most = sum(c.weight for c in recommendation.score.components)
    return f"{recommendation.score.total:.1f}/{most:g}"


def _cell(component: ScoreComponent | None) -> str:
    if component is None:
        return "-"
    style = (
        "green" if component.points >= component.weight else "red" if not component.points else ""
    )
    text = f"{component.points:.1f}"
    return f"[{style}]{text}[/]" if style else text
