"""Pipeline counters on the hub's own registry (one set per registry, however many dispatchers or reloads)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from alerthub.telemetry import metric_set


class PipelineMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.enqueued = Counter(
            "alerthub_pipeline_notifications_enqueued_total",
            "Outbox rows written by the pipeline, by status (pending, suppressed) and reason.",
            ["status", "reason"],
            registry=registry,
        )
        self.muted = Counter(
            "alerthub_pipeline_alerts_muted_total",
            "Alerts newly held back, by stage: inhibit, time_window, silence.",
            ["stage"],
            registry=registry,
        )
        self.flushes = Counter(
            "alerthub_pipeline_group_flushes_total",
            "Group flushes, by outcome: notified, nothing_new.",
            ["outcome"],
            registry=registry,
        )


def pipeline_metrics(registry: CollectorRegistry) -> PipelineMetrics:
    return metric_set(PipelineMetrics, registry)
