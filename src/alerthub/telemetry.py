"""Prometheus metrics, one registry per hub (never module-level), so tests and several apps in one
process do not share counters."""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from alerthub.errors import StoreUnavailableError

# While the database is away, a loop says so at most this often.
OUTAGE_LOG_EVERY = 60.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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

    def render(self, alerts_by_state: dict[str, int]) -> bytes:
        for state in ("pending", "firing", "acknowledged", "resolved"):
            self.alerts.labels(state).set(alerts_by_state.get(state, 0))
        return generate_latest(self.registry)


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
