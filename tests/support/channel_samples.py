"""Payloads shaped as the pipeline writes them, for channel tests."""

from __future__ import annotations

from alerthub.domain.notification import AlertSnapshot, NotificationPayload


def snapshot(
    alert_id: int = 7, *, summary: str = "CPU high", state: str = "firing", severity: str = "critical", **labels: str
) -> AlertSnapshot:
    return AlertSnapshot(
        id=alert_id,
        fingerprint=f"fp{alert_id}",
        rule_name="system_cpu_high",
        state=state,
        severity=severity,
        value=95.5,
        labels=labels or {"host": "web-1"},
        annotations={"summary": summary, "url": "https://sentry.io/organizations/acme/issues/42/"},
        source="api",
        first_seen="2026-11-27T09:00:00Z",
        last_seen="2026-11-27T09:05:00Z",
        count=3,
        threshold=90.0,
        comparison=">",
        url=f"http://hub.test/alerts/{alert_id}",
    )


def payload(*alerts: AlertSnapshot, status: str = "firing", reason: str = "first notification") -> NotificationPayload:
    return NotificationPayload(
        receiver="ops",
        group_key='{}:{alertname="system_cpu_high"}',
        status=status,
        reason=reason,
        group_labels={"alertname": "system_cpu_high"},
        common_labels={},
        common_annotations={},
        alerts=alerts or (snapshot(),),
        external_url="http://hub.test",
    )
