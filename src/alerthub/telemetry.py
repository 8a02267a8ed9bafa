"""Prometheus metrics, one registry per hub (never module-level), so tests and several apps in one
process do not share counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


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
