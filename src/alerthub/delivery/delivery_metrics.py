"""Delivery counters, registered on the hub's own registry."""

from __future__ import annotations

import logging
from collections.abc import Container, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram

from alerthub.delivery import outcome

logger = logging.getLogger("alerthub.delivery.worker")  # where these lines were always logged


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
        self.latency = Histogram(
            "alerthub_notification_latency_seconds",
            "From the notification's commit to the outbox until its channel accepted it, by channel.",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
            registry=registry,
        )

    def count(self, outcomes: Sequence[outcome.Outcome], configured: Container[str]) -> bool:
        """Count (and log failures of) a recorded batch; False when its channel must now pause (a 429,
        or rate-limit headers saying the service's budget is spent)."""
        go_on = True
        for o in outcomes:
            channel = o.row.channel
            if isinstance(o, outcome.Sent):
                self.notifications.labels(channel, "sent").inc()
                self.latency.labels(channel).observe(max(0.0, (o.now - o.row.created_at).total_seconds()))
                go_on = go_on and not o.wait
            elif isinstance(o, outcome.Suppressed):
                self.notifications.labels(channel, "suppressed").inc()
            else:
                attempt = o.row.attempts
                logger.warning(
                    "notification %s to %s attempt %s: %s (%s)", o.row.id, channel, attempt, o.text, o.decision.reason
                )
                self.failures.labels(channel, o.decision.reason).inc()
                self.notifications.labels(channel, "retry" if o.decision.retry_at else "failed").inc()
                go_on = go_on and not (o.paused is not None and channel in configured)
        return go_on
