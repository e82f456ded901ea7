"""What `neoclone run` does: analyse the prompt, take the given models or make the plan,
run it (streaming or not), and report the answer and the route that led to it.

Kept out of cli.py so the command stays a few lines and a run can be checked without
a terminal. The answer goes to stdout and everything about it (task, plan, route) to
stderr, so `neoclone run "..." > answer.txt` keeps only the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from neoclone_core.errors import NoModelAvailableError, ProviderError
from neoclone_core.models import Attempt, ChatRequest, Plan, Route, TaskProfile

if TYPE_CHECKING:
    from rich.console import Console

    from neoclone_core.facade import Neoclone


@attrs.frozen
class RunResult:
    """One run: the task, the plan, the answer (partial if the stream broke), the route,
    and the error when no model could serve."""

    profile: TaskProfile
    plan: Plan
    answer: str
    route: Route | None
    error: str = ""

    @property
    def ok(self) -> bool:
        """Whether a model served the whole answer."""
        return not self.error and self.route is not None and self.route.served_by is not None

    def as_dict(self) -> dict[str, Any]:
        """The run as JSON."""
        return {
            "ok": self.ok,
            "answer": self.answer,
            "served_by": self.route.served_by if self.route else None,
            "error": self.error or None,
            "task": {
                "categories": list(self.profile.categories),
                "required": sorted(c.value for c in self.profile.required),
                "reasons": list(self.profile.reasons),
            },
            "plan": [m.id for m in self.plan.models],
            "route": self.route.as_dict() if self.route else None,
        }


async def run_prompt(
    neoclone: Neoclone,
    prompt: str,
    models: Sequence[str] = (),
    *,
    stream: bool = False,
    on_chunk: Callable[[str], None] | None = None,
) -> RunResult:
    """Run `prompt` on `models` (or the plan made for it); `on_chunk` sees each streamed
    piece of text as it arrives. Failures come back in the result, not as exceptions."""
    request = ChatRequest.from_prompt(prompt)
    profile = neoclone.analyse(prompt)
    plan = neoclone.plan_for(request, models, profile=profile)
    result = RunResult(profile, plan, "", None)
    try:
        if stream:
            return await _streamed(neoclone, result, request, on_chunk or (lambda _: None))
        response, route = await neoclone.run(plan, request)
    except NoModelAvailableError as exc:
        return attrs.evolve(result, route=exc.route, error=str(exc))
    except ProviderError as exc:  # the strategy returned it: the request itself was refused
        return attrs.evolve(result, error=str(exc))
    return attrs.evolve(result, answer=response.content, route=route)


async def _streamed(
    neoclone: Neoclone, result: RunResult, request: ChatRequest, on_chunk: Callable[[str], None]
) -> RunResult:
    async with neoclone.run_stream(result.plan, request) as stream:
        try:
            async for chunk in stream:
                on_chunk(chunk.content)
        except ProviderError as exc:  # broke after its first chunk
            return attrs.evolve(result, answer=stream.content, route=stream.route, error=str(exc))
    return attrs.evolve(result, answer=stream.content, route=stream.route)


# -- printing ---------------------------------------------------------------------------


def render_plan(out: Console, result: RunResult) -> None:
    """The task and the plan, before the answer."""
    from rich.markup import escape

    categories = ", ".join(result.profile.categories) or "general"
    plan = " → ".join(m.id for m in result.plan.models) or "(no model)"
    out.print(f"[dim]task: {escape(categories)}; plan: {escape(plan)}[/]")


def render_route(out: Console, result: RunResult) -> None:
    """Every attempt (model, outcome, error kind, duration), then the verdict."""
    from rich.markup import escape
    from rich.table import Column, Table

    route = result.route
    if route is not None and route.attempts:
        model = Column("model", overflow="fold")  # ids are copied from here: never cut
        table = Table("#", model, "outcome", "error", "duration", title="route")
        for number, attempt in enumerate(route.attempts, start=1):
            table.add_row(str(number), escape(attempt.model_id), *_attempt_cells(attempt))
        out.print(table)
    if result.ok and route is not None:
        fallbacks = f", {route.fallbacks} fallback{'s' * (route.fallbacks != 1)}"
        out.print(f"served by {escape(route.served_by or '')} in {route.total_s:.2f}s{fallbacks}")
    else:
        out.print(f"[red]error:[/] {escape(result.error)}")


def _attempt_cells(attempt: Attempt) -> tuple[str, str, str]:
    from rich.markup import escape

    colour = {"ok": "green", "failed": "red"}.get(attempt.outcome, "yellow")
    retry = f" (retry {attempt.retry})" if attempt.retry else ""
    outcome = f"[{colour}]{attempt.outcome}[/]{retry}"
    why = f"{attempt.error_kind}: {attempt.error}" if attempt.error_kind else attempt.error
    duration = f"{attempt.duration_s:.2f}s" if not attempt.skipped else "-"
    return outcome, escape(why) or "-", duration
