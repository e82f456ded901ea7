"""Performance monitoring as one JSON-able report: per model, per session, and the
breakers and cooldowns in force; what `Neoclone.stats()` and `neoclone stats` show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from neoclone_core.errors import StoreError
from neoclone_core.execute.engine import Engine
from neoclone_core.state.engine_state import BreakerStatus, ModelStats, SessionStats

ALL_REQUESTS = ""  # the session name of requests made outside any session


def model_dict(stats: ModelStats) -> dict[str, Any]:
    """One model's statistics as JSON."""
    return {
        "successes": stats.successes,
        "failures": stats.failures,
        "success_rate": stats.success_rate,
        "errors_by_kind": dict(stats.errors_by_kind),
        "latency_p50_s": stats.latency_p50_s,
        "latency_p95_s": stats.latency_p95_s,
        "ttft_p50_s": stats.ttft_p50_s,
        "ttft_p95_s": stats.ttft_p95_s,
        "last_attempt_at": stats.last_attempt_at,
    }


def report(engine: Engine, session_names: Iterable[str]) -> dict[str, Any]:
    """Everything monitored, fresh from the store (buffered outcomes written first).

    `sessions` lists the named sessions (those given, even before their first request);
    `requests` sums up the requests made outside any session.
    """
    engine.recorder.flush()
    engine.admission.sync(force=True)
    sessions = _session_stats(engine)
    named = {name: sessions.get(name, SessionStats(name)) for name in session_names}
    named.update({k: v for k, v in sessions.items() if k != ALL_REQUESTS})
    return {
        "models": {
            model_id: model_dict(s)
            for model_id, s in sorted(engine.recorder.model_stats(fresh=True).items())
        },
        "sessions": {name: s.as_dict() for name, s in sorted(named.items())},
        "requests": sessions.get(ALL_REQUESTS, SessionStats(ALL_REQUESTS)).as_dict(),
        "breakers": _breakers(engine),
        "cooldowns": {
            key: {"until": c.until, "reason": c.reason}
            for key, c in engine.admission.cooldowns().items()
        },
    }


def _session_stats(engine: Engine) -> Mapping[str, SessionStats]:
    try:
        return engine.state.session_stats()
    except StoreError:
        return {}


def _breakers(engine: Engine) -> dict[str, dict[str, Any]]:
    now = engine.clock()
    return {
        key: {"status": str(status), "until": state.until, "reason": state.reason}
        for key, state in engine.admission.breaker_states().items()
        if (status := state.status_at(now)) is not BreakerStatus.CLOSED
    }
