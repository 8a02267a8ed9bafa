"""Delivery counters, registered on the hub's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.notifications = Counter(
            "alerthub_notifications_total",
            "Notification attempts by outcome: sent, retry, failed, merged (into a digest), suppressed.",
            ["channel", "status"],
            registry=registry,
        )
        self.failures = Counter(
            "alerthub_notification_failures_total",
            "Failed delivery attempts by reason: retryable, rate_limited, permanent, attempts_exhausted, too_old.",
            ["channel", "reason"],
            registry=registry,
        )
