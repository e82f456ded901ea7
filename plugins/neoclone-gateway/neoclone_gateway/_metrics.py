"""Prometheus metrics of a gateway: what it answered, what each request cost, and what
the engine did on the way (attempts, fallbacks, errors by kind, breakers, cooldowns),
and what is left of each free-tier quota.

The engine's events arrive through the same hooks any plugin can implement (the
gateway registers `MetricEvents` as a plugin of its own `Neoclone`), so the metrics
count exactly what the route reports. Breaker states, cooldowns and the quota left are
read from the engine when Prometheus scrapes, not kept twice. Each gateway has its own
registry: two gateways in one process (tests) never share a counter. Labels are model
ids, provider names, error kinds and status codes: nothing a request body or a key
can put there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import anyio
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from neoclone_core import BreakerStatus, ModelInfo, Route
from neoclone_core.errors import ProviderError
from neoclone_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from neoclone_core import Neoclone

CONTENT_TYPE = CONTENT_TYPE_LATEST
_OVERHEAD_BUCKETS = (25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 0.01, 0.05, 0.25)
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """Every metric of one gateway, in its own registry."""

    def __init__(self, neoclone: Neoclone) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "neoclone_http_requests", "HTTP requests answered", ["endpoint", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "neoclone_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "neoclone_chat_requests_in_flight", "Chat requests being served now", registry=r
        )
        self.overhead_seconds = Histogram(
            "neoclone_overhead_seconds",
            "Time neoclone added to a chat request beyond its upstream calls",
            ["stream"],
            buckets=_OVERHEAD_BUCKETS,
            registry=r,
        )
        self.ttft_seconds = Histogram(
            "neoclone_time_to_first_token_seconds",
            "Time to the first chunk of a stream's serving attempt",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.events = MetricEvents(r)
        r.register(StateCollector(neoclone))

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


class MetricEvents:
    """A plugin counting the engine's events: attempts and their outcomes, upstream
    latency, fallbacks, errors by kind, breaker transitions and cooldowns."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.attempts = Counter(
            "neoclone_attempts",
            "Attempts by model and outcome (ok, failed, skipped)",
            ["model", "outcome"],
            registry=r,
        )
        self.attempt_seconds = Histogram(
            "neoclone_attempt_duration_seconds",
            "Duration of the upstream calls, by provider",
            ["provider"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "neoclone_errors", "Failed attempts by error kind", ["provider", "kind"], registry=r
        )
        self.fallbacks = Counter(
            "neoclone_fallbacks", "Moves to the next model of a plan", ["from_model"], registry=r
        )
        self.routed = Counter(
            "neoclone_requests", "Requests the engine finished, by outcome", ["outcome"], registry=r
        )
        self.breaker_transitions = Counter(
            "neoclone_breaker_transitions",
            "Circuit breakers opening and closing, by key",
            ["key", "to"],
            registry=r,
        )
        self.cooldowns = Counter(
            "neoclone_cooldowns_started", "Cooldowns set, by key", ["key"], registry=r
        )

    @hookimpl
    def neoclone_request_finished(self, route: Route) -> None:
        """Count the route's attempts and its outcome."""
        self.routed.labels("served" if route.served_by else "unserved").inc()
        for attempt in route.attempts:
            self.attempts.labels(attempt.model_id, attempt.outcome).inc()
            if not attempt.skipped:
                provider = attempt.model_id.partition("/")[0]
                self.attempt_seconds.labels(provider).observe(attempt.duration_s)

    @hookimpl
    def neoclone_attempt_failed(self, model: ModelInfo, error: ProviderError) -> None:
        """Count a failure by its kind."""
        self.errors.labels(model.provider, error.kind).inc()

    @hookimpl
    def neoclone_fallback_taken(self, from_model: ModelInfo) -> None:
        """Count a move to the plan's next model."""
        self.fallbacks.labels(from_model.id).inc()

    @hookimpl
    def neoclone_breaker_opened(self, key: str) -> None:
        """Count a breaker opening."""
        self.breaker_transitions.labels(key, "open").inc()

    @hookimpl
    def neoclone_breaker_closed(self, key: str) -> None:
        """Count a breaker closing."""
        self.breaker_transitions.labels(key, "closed").inc()

    @hookimpl
    def neoclone_cooldown_started(self, key: str) -> None:
        """Count a cooldown."""
        self.cooldowns.labels(key).inc()


class StateCollector:
    """Breaker states and running cooldowns, read from the engine at scrape time (so
    they include what other instances sharing the store have found)."""

    def __init__(self, neoclone: Neoclone) -> None:
        self._neoclone = neoclone

    def describe(self) -> list[Metric]:
        """Nothing up front: the collector's families depend on the state."""
        return []

    def collect(self) -> Iterator[Metric]:
        """The state's gauges as they are now."""
        neoclone, now = self._neoclone, self._neoclone.clock()
        breakers = GaugeMetricFamily(
            "neoclone_breaker_state",
            "1 for the state each circuit breaker is in, by key",
            labels=["key", "state"],
        )
        for key, state in neoclone.breaker_states().items():
            current = state.status_at(now)
            for status in BreakerStatus:
                breakers.add_metric([key, status.value], float(status is current))
        yield breakers
        cooldowns = GaugeMetricFamily(
            "neoclone_cooldown_remaining_seconds",
            "Seconds until each key cooling down may be called again",
            labels=["key"],
        )
        for key, cooldown in neoclone.cooldowns().items():
            cooldowns.add_metric([key], cooldown.until - now)
        yield cooldowns
        shared = GaugeMetricFamily(
            "neoclone_state_store_up",
            "1 while the state store answers (0: a shared store is down, local state in use)",
        )
        shared.add_metric([], float(state_store_up(self._neoclone)))
        yield shared
        yield quota_left_gauge(neoclone)


def quota_left_gauge(neoclone: Neoclone) -> GaugeMetricFamily:
    """What is left of each limited window the usage ledger counts, every key of the
    provider added up (keys are never labels: not even their fingerprints)."""
    gauge = GaugeMetricFamily(
        "neoclone_quota_left",
        "Free-tier quota left, by provider, model ('' for the whole account), window, unit",
        labels=["provider", "model", "window", "unit"],
    )
    left: dict[tuple[str, str, str, str], int] = {}
    for window in neoclone.quota()["windows"]:
        for unit in ("requests", "tokens"):
            if window[unit]["left"] is not None:
                labels = (window["provider"], window["model"] or "", window["window"], unit)
                left[labels] = left.get(labels, 0) + window[unit]["left"]
    for labels, value in sorted(left.items()):
        gauge.add_metric(list(labels), float(value))
    return gauge


def state_store_up(neoclone: Neoclone) -> bool:
    """Whether the state store answered last; stores that cannot tell say yes."""
    return neoclone.state_store_available


class StoreCheck:
    """Whether the state store answers now, for `/health`: a store that can be pinged
    (Redis) is asked at most once per `every_s`, in a worker thread (the call is
    synchronous, bounded by the store's timeout), and concurrent probes share one ask.
    Without it, an idle gateway would report the store as it was at its last request."""

    def __init__(self, neoclone: Neoclone, every_s: float = 1.0) -> None:
        self.neoclone = neoclone
        self.every_s = every_s
        self._ping: Callable[[], object] | None = getattr(neoclone.state, "ping", None)
        self._asked_at: float | None = None
        self._lock = anyio.Lock()

    async def up(self) -> bool:
        """Whether the store answers (pinged if the last ask is older than `every_s`)."""
        if self._ping is not None:
            async with self._lock:
                now = time.monotonic()
                if self._asked_at is None or now - self._asked_at >= self.every_s:
                    await anyio.to_thread.run_sync(self._ping)
                    self._asked_at = time.monotonic()
        return state_store_up(self.neoclone)
