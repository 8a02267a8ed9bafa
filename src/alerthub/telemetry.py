"""Prometheus metrics, one registry per hub (never module-level), so tests and several apps in one
process do not share counters."""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar
from weakref import WeakKeyDictionary

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)

from alerthub import __version__
from alerthub.errors import StoreUnavailableError

if TYPE_CHECKING:
    from alerthub.telemetry_peers import PeerMetrics

# While the database is away, a loop says so at most this often.
OUTAGE_LOG_EVERY = 60.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # The other worker processes of this server, whose counts /metrics adds in (serving_processes.py).
        self.peers: PeerMetrics | None = None
        self.signals = Counter(
            "alerthub_signals_received_total",
            "Signals accepted, by source.",
            ["source"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "alerthub_requests_rejected_total",
            "Requests answered 4xx, by status.",
            ["status"],
            registry=self.registry,
        )
        self.alerts = Gauge("alerthub_alerts", "Alerts by state.", ["state"], registry=self.registry)
        self.latency = Histogram(
            "alerthub_request_duration_seconds",
            "HTTP request latency, by route template.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.loop_errors = Counter(
            "alerthub_background_errors_total",
            "Unexpected errors caught at a background loop boundary.",
            ["loop"],
            registry=self.registry,
        )
        self.store = StoreGauges(self.registry)
        self.reload_ok, self.reload_at = _reload_gauges(self.registry)
        Info("alerthub_build", "The running alerthub.", registry=self.registry).info({"version": __version__})
        # The process's CPU, memory, file descriptors and GC, as every Prometheus client exports them.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)

    def render(self, alerts_by_state: dict[str, int]) -> bytes:
        for state in ("pending", "firing", "acknowledged", "resolved"):
            self.alerts.labels(state).set(alerts_by_state.get(state, 0))
        return generate_latest(self.registry)


def _reload_gauges(registry: CollectorRegistry) -> tuple[Gauge, Gauge]:
    """Alertmanager's names, so the alert rules people have for it work here too."""
    ok = Gauge(
        "alerthub_config_last_reload_successful",
        "Whether the last configuration reload attempt succeeded (1 from start until one fails).",
        registry=registry,
    )
    ok.set(1)
    at = Gauge(
        "alerthub_config_last_reload_success_timestamp_seconds",
        "When the running configuration was loaded (start or last successful reload).",
        registry=registry,
    )
    at.set_to_current_time()
    return ok, at


class StoreGauges:
    """Gauges read from the database when /metrics is scraped: every instance reports the same shared
    state, so aggregate them with max(), not sum()."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.backlog = Gauge(
            "alerthub_outbox_backlog",
            "Notifications not yet sent (pending or being sent), by channel.",
            ["channel"],
            registry=registry,
        )
        self.oldest_due = Gauge(
            "alerthub_outbox_oldest_due_age_seconds",
            "How long the oldest notification already due for an attempt has waited, by channel (0: none due).",
            ["channel"],
            registry=registry,
        )
        self.open_alerts = Gauge(
            "alerthub_open_alerts", "Alerts not resolved, by severity.", ["severity"], registry=registry
        )
        self.silences = Gauge("alerthub_silences_active", "Silences in effect now.", registry=registry)

    def set(self, backlog: Mapping[str, tuple[int, float]], open_by_severity: Mapping[str, int], silences: int) -> None:
        """backlog: channel → (unsent rows, age in seconds of the oldest due one)."""
        # Cleared first: a channel whose backlog drained (or was renamed) drops out rather than
        # reporting its last value for ever.
        self.backlog.clear()
        self.oldest_due.clear()
        for channel, (unsent, age) in backlog.items():
            self.backlog.labels(channel).set(unsent)
            self.oldest_due.labels(channel).set(age)
        for severity in ("info", "warning", "high", "critical", *open_by_severity):
            self.open_alerts.labels(severity).set(open_by_severity.get(severity, 0))
        self.silences.set(silences)


class LoopFailureLog:
    """Logs the exception being handled at one background loop's boundary.

    A database that is away is an outage the loop waits out (and /readyz reports): one line, at most once
    a minute, instead of the same traceback on every pass. Anything else keeps its traceback each time.
    """

    def __init__(self, log: logging.Logger, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.what = what
        self.clock = clock
        self._outage_logged_at = -math.inf

    def __call__(self, *, extra: Mapping[str, object] | None = None) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, StoreUnavailableError):
            self.log.exception(self.what, extra=extra)
            return
        now = self.clock()
        if now - self._outage_logged_at >= OUTAGE_LOG_EVERY:
            self._outage_logged_at = now
            self.log.warning("%s: %s (again at most every %gs)", self.what, exc, OUTAGE_LOG_EVERY, extra=extra)


M = TypeVar("M")
_METRIC_SETS: WeakKeyDictionary[CollectorRegistry, dict[Callable[..., object], object]] = WeakKeyDictionary()


def metric_set(factory: Callable[[CollectorRegistry], M], registry: CollectorRegistry) -> M:
    """A box's counters on the hub's registry, made once: a configuration reload builds the boxes again
    on the same registry, where registering the same names twice is an error and would reset them."""
    sets = _METRIC_SETS.setdefault(registry, {})
    if factory not in sets:
        sets[factory] = factory(registry)
    return sets[factory]  # type: ignore[return-value]
