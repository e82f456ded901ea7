"""How each call and each request ended, recorded once for everyone who needs it: the
route, the statistics, the breakers, the log and the event hooks."""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from neoclone_core.errors import NoModelAvailableError, ProviderError
from neoclone_core.execute.admission import Admission
from neoclone_core.execute.calls import ActiveCall, RequestRun
from neoclone_core.execute.recorder import Recorder
from neoclone_core.log import log
from neoclone_core.models import Attempt, Route
from neoclone_core.plugins import Plugins
from neoclone_core.redaction import scrub_exception
from neoclone_core.state.engine_state import AttemptRecord, RequestRecord

CANCELLED = "cancelled"


@attrs.define
class Outcomes:
    """Records outcomes into the route of a `Run`, the recorder and the gate."""

    recorder: Recorder
    admission: Admission
    plugins: Plugins
    clock: Callable[[], float]

    def succeeded(self, run: RequestRun, call: ActiveCall, ttft_s: float | None = None) -> Route:
        """Record the call that served the request, and finish the request."""
        duration = time.perf_counter() - call.started
        model_id = call.model.id
        run.attempts.append(
            Attempt(model_id, ok=True, duration_s=duration, retry=call.retry, ttft_s=ttft_s)
        )
        self.recorder.attempt(
            AttemptRecord(model_id, self.clock(), True, duration, "", ttft_s, run.session)
        )
        self.admission.succeeded(call.permit)
        return self.finish(run, model_id)

    def failed(self, run: RequestRun, call: ActiveCall, error: ProviderError) -> None:
        """Record a failed call: route, statistics, breakers, log and event."""
        scrub_exception(error, [call.endpoint.ctx.api_key])
        duration = time.perf_counter() - call.started
        attempt = Attempt(
            call.model.id,
            ok=False,
            duration_s=duration,
            error_kind=error.kind,
            error=str(error),
            retry=call.retry,
        )
        run.attempts.append(attempt)
        self.recorder.attempt(
            AttemptRecord(
                call.model.id, self.clock(), False, duration, error.kind, None, run.session
            )
        )
        self.admission.failed(call.permit, error)
        log.info("neoclone.attempt_failed", model=call.model.id, error_kind=error.kind)
        self.plugins.emit("neoclone_attempt_failed", model=call.model, error=error, attempt=attempt)

    def cancelled(self, run: RequestRun, call: ActiveCall) -> None:
        """The caller gave up during a call: neither the model's success nor its failure."""
        duration = time.perf_counter() - call.started
        why = "the caller cancelled the request"
        run.attempts.append(
            Attempt(
                call.model.id,
                ok=False,
                duration_s=duration,
                error_kind=CANCELLED,
                error=why,
                retry=call.retry,
            )
        )
        self.admission.released(call.permit)
        self.finish(run, None, CANCELLED, record=False)

    def finish(
        self, run: RequestRun, served_by: str | None, error_kind: str = "", *, record: bool = True
    ) -> Route:
        """The request's route, recorded (unless cancelled) and announced."""
        route = Route(tuple(run.attempts), served_by, time.perf_counter() - run.started)
        run.route = route
        if record:
            ok = served_by is not None
            self.recorder.request(
                RequestRecord(
                    run.session,
                    self.clock(),
                    ok,
                    served_by or "",
                    route.fallbacks,
                    route.total_s,
                    route.ttft_s,
                    "" if ok else error_kind,
                )
            )
        self.plugins.emit("neoclone_request_finished", route=route)
        return route

    def unserved(self, run: RequestRun) -> NoModelAvailableError:
        """Finish a request no model served; the error to raise, carrying its route."""
        last = next((a.error_kind for a in reversed(run.attempts) if a.error_kind), "skipped")
        route = self.finish(run, None, last)
        msg = f"no model could serve the request; tried: {tried(route) or 'nothing (empty plan)'}"
        return NoModelAvailableError(msg, route)


def tried(route: Route) -> str:
    """Each model of the route with why it failed, retries counted rather than repeated:
    "a/m (unavailable), b/m (timeout, 3 attempts)"."""
    parts: list[tuple[str, str, int]] = []
    for attempt in route.attempts:
        why = attempt.error_kind or attempt.error
        if parts and parts[-1][:2] == (attempt.model_id, why):
            parts[-1] = (attempt.model_id, why, parts[-1][2] + 1)
        else:
            parts.append((attempt.model_id, why, 1))
    return ", ".join(
        f"{model} ({why}{f', {n} attempts' if n > 1 else ''})" for model, why, n in parts
    )
