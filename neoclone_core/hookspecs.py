"""The plugin contract: every hook a neoclone plugin may implement.

The four stages of a request each have their hooks:

- discover: ``neoclone_register_providers`` registers provider objects whose async
  ``discover()`` lists models (the core runs them concurrently, each bounded in time);
- score: ``neoclone_analyse_task`` turns text into a task profile, ``neoclone_score``
  scores every model for it;
- select: ``neoclone_select`` orders the scored models into a plan;
- execute: the providers' async ``chat()`` / ``stream()`` run the plan, and
  ``neoclone_fallback_decision`` decides what a failed attempt leads to.

Beside the stages, ``neoclone_open_state`` lets a store plugin keep the engine's state
(breakers, cooldowns, statistics) where several instances share it, and
``neoclone_register_commands`` lets a plugin add commands to ``neoclone`` (the gateway
adds ``neoclone serve``).

Hooks are synchronous (pluggy awaits nothing); I/O lives in the registered objects,
which the core awaits. Implementations may accept any subset of a hook's arguments.
The remaining hooks are events: broadcast to every plugin, return values ignored, and
a plugin that raises in one is logged and skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from neoclone_core.config import Settings
    from neoclone_core.errors import ProviderError
    from neoclone_core.execute.fallback import FallbackDecision
    from neoclone_core.models import (
        Attempt,
        ModelInfo,
        Plan,
        Route,
        ScoreComponent,
        ScoredModel,
        TaskProfile,
    )
    from neoclone_core.provider import Provider
    from neoclone_core.score.observations import Observations
    from neoclone_core.state.engine_state import EngineState

PROJECT = "neoclone"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- discover ---------------------------------------------------------------------------


@hookspec
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register provider objects by calling ``register(provider)`` once for each.

    :param register: checks the object against the ``Provider`` protocol and raises
        ``PluginError`` naming the plugin when it does not fit.
    """


# -- score ------------------------------------------------------------------------------


@hookspec(firstresult=True)
def neoclone_analyse_task(text: str) -> TaskProfile | None:
    """Derive what a request needs from its text.

    :param text: the request's text (all its messages' text content, joined).
    :return: a task profile, or None to leave the decision to the next plugin.

    Stops at first non-None result.
    """


@hookspec
def neoclone_score(
    profile: TaskProfile,
    models: Sequence[ModelInfo],
    observations: Observations,
    settings: Settings,
) -> Sequence[Sequence[ScoreComponent]] | None:
    """Score every model for one task.

    Called once per request with the whole catalog, so a plugin can score thousands of
    models without a hook call each.

    :param profile: what the task needs.
    :param models: the candidate models.
    :param observations: what the engine has seen of each model so far (success rate,
        latency, cooldowns); empty before any request.
    :param settings: the loaded configuration (provider preference order, ...).
    :return: one sequence of score components per model, in the order of ``models``,
        or None to abstain. A model's score is the sum of the components every plugin
        gave it.
    """


# -- select -----------------------------------------------------------------------------


@hookspec(firstresult=True)
def neoclone_select(
    profile: TaskProfile, ranked: Sequence[ScoredModel], max_models: int, settings: Settings
) -> Plan | None:
    """Turn scored models, best first, into an ordered plan of at most ``max_models``.

    :param profile: what the task needs (to drop models that cannot serve it).
    :param ranked: every candidate with its score, highest total first.
    :param max_models: how many models the plan may hold.
    :param settings: the loaded configuration.
    :return: the plan, or None to leave the decision to the next plugin.

    Stops at first non-None result.
    """


# -- execute ----------------------------------------------------------------------------


@hookspec(firstresult=True)
def neoclone_fallback_decision(
    error: ProviderError,
    model: ModelInfo,
    attempt_number: int,
    remaining: Sequence[ModelInfo],
) -> FallbackDecision | None:
    """Decide what a failed attempt leads to: retry, move on, or give up.

    :param error: the error the attempt raised.
    :param model: the model that failed.
    :param attempt_number: 1 for the first try of this model, 2 for its first retry, ...
    :param remaining: the plan's later models that could be called right now (not
        cooling down, breaker not open); empty when ``model`` is the last hope.
    :return: the decision, or None to leave it to the next plugin.

    Stops at first non-None result.
    """


# -- state ------------------------------------------------------------------------------


@hookspec(firstresult=True)
def neoclone_open_state(url: str, settings: Settings) -> EngineState | None:
    """Open the shared store named by ``url``, the config's top-level ``store``.

    :param url: the store's URL, such as ``redis://127.0.0.1:6379/0``; decide by its
        scheme whether it is yours.
    :param settings: the loaded configuration.
    :return: an object implementing ``EngineState``, or None when the scheme is not
        this plugin's. Raise ``StoreError`` when the store is yours but cannot be
        reached: neoclone stops at start with that message rather than run on state
        that no other instance sees.

    Stops at first non-None result.
    """


@hookspec
def neoclone_register_commands(cli: click.Group) -> None:
    """Add commands to the ``neoclone`` command line.

    :param cli: the ``neoclone`` click group; call ``cli.add_command(command)`` (or
        decorate with ``@cli.command()``). A command receives the group's options as
        ``neoclone_core.cli.support.State`` through ``@click.pass_obj``, and reports
        errors the way the core's commands do with ``reported_errors(state)``.

    Called only when the command line needs plugin commands (help, or a command the core
    does not have), never by ``Neoclone``.
    """


# -- events -----------------------------------------------------------------------------


@hookspec
def neoclone_model_discovered(model: ModelInfo) -> None:
    """A scan found ``model`` (called for each model of each successful scan)."""


@hookspec
def neoclone_scan_failed(provider: str, error: Exception, next_retry_at: float | None) -> None:
    """A provider's scan failed; it will not be scanned again before ``next_retry_at``."""


@hookspec
def neoclone_attempt_started(model: ModelInfo, attempt_number: int) -> None:
    """The engine is about to call ``model``."""


@hookspec
def neoclone_attempt_failed(model: ModelInfo, error: ProviderError, attempt: Attempt) -> None:
    """A call to ``model`` failed with ``error``."""


@hookspec
def neoclone_fallback_taken(
    from_model: ModelInfo, to_model: ModelInfo, error: ProviderError
) -> None:
    """The engine moved from ``from_model`` to ``to_model`` after ``error``."""


@hookspec
def neoclone_request_finished(route: Route) -> None:
    """A request ended, served or not; ``route`` lists every attempt."""


@hookspec
def neoclone_breaker_opened(key: str, until: float, reason: str) -> None:
    """The circuit breaker of ``key`` (a model id, or ``provider:<name>``) opened: no call
    reaches it before ``until`` (POSIX time), then one probe call may."""


@hookspec
def neoclone_breaker_closed(key: str) -> None:
    """A probe of ``key`` succeeded: its breaker closed and calls reach it again."""


@hookspec
def neoclone_cooldown_started(key: str, until: float, reason: str) -> None:
    """``key`` (a model id, or ``provider:<name>``) was cooling down until ``until`` because
    the fallback strategy said so (a rate limit, a refused key, a model gone)."""


@hookspec
def neoclone_health_checked(model: ModelInfo, ok: bool, error: ProviderError | None) -> None:
    """The health checker probed ``model``; ``error`` is why the probe failed."""
