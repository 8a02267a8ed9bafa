"""Outbox rows written the way the pipeline writes them (an alert, a `notification` row with a
`NotificationPayload`, its `notification_alert` links), for delivery tests that need no pipeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from alerthub.domain.notification import AlertSnapshot, Notification, NotificationPayload
from alerthub.store.database import Database
from alerthub.store.notifications import to_notification
from alerthub.store.tables import alert, alert_event, notification, notification_alert


async def add_alert(
    db: Database,
    now: datetime,
    rule: str = "system_cpu_high",
    *,
    severity: str = "critical",
    value: float = 95.5,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    state: str = "firing",
) -> AlertSnapshot:
    labels = labels or {"host": "web-1"}
    annotations = annotations or {"summary": f"{rule} on {labels.get('host', '?')}"}
    row = {
        "fingerprint": uuid.uuid4().hex,
        "rule_name": rule,
        "source": "api",
        "state": state,
        "severity": severity,
        "value": value,
        "peak_value": value,
        "labels": labels,
        "annotations": annotations,
        "episode": 1,
        "count": 3,
        "first_seen_at": now,
        "last_seen_at": now,
        "state_changed_at": now,
    }
    async with db.write() as conn:
        alert_id = (await conn.execute(insert(alert).returning(alert.c.id), [row])).scalar_one()
    stamp = now.isoformat().replace("+00:00", "Z")
    return AlertSnapshot(
        id=alert_id,
        fingerprint=row["fingerprint"],
        rule_name=rule,
        state=state,
        severity=severity,
        value=value,
        labels=labels,
        annotations=annotations,
        source="api",
        first_seen=stamp,
        last_seen=stamp,
        count=3,
        threshold=90.0,
        comparison=">",
        url=f"http://hub.test/alerts/{alert_id}",
    )


def payload(
    *alerts: AlertSnapshot, status: str = "firing", reason: str = "first notification", receiver: str = "default"
) -> NotificationPayload:
    return NotificationPayload(
        receiver=receiver,
        group_key='{}:{alertname="x"}',
        status=status,
        reason=reason,
        group_labels={},
        common_labels={},
        common_annotations={},
        alerts=alerts,
        external_url="http://hub.test",
    )


async def enqueue(
    db: Database,
    now: datetime,
    channel: str,
    body: NotificationPayload,
    *,
    thread_key: str | None = None,
    kind: str | None = None,
    key: str | None = None,
) -> int:
    row: dict[str, Any] = {
        "idempotency_key": key or uuid.uuid4().hex,
        "group_key": body.group_key,
        "receiver": body.receiver,
        "channel": channel,
        "kind": kind or body.status,
        "status": "pending",
        "payload": body.to_json(),
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "thread_key": thread_key,
    }
    async with db.write() as conn:
        row_id: int = (await conn.execute(insert(notification).returning(notification.c.id), [row])).scalar_one()
        if body.alerts:  # a notice about no alert (a noise report) links none
            await conn.execute(
                insert(notification_alert), [{"notification_id": row_id, "alert_id": a.id} for a in body.alerts]
            )
    return row_id


async def rows(db: Database) -> list[Notification]:
    async with db.read() as conn:
        found = (await conn.execute(select(notification).order_by(notification.c.id))).all()
    return [to_notification(r) for r in found]


async def row(db: Database, row_id: int) -> Notification:
    return next(r for r in await rows(db) if r.id == row_id)


async def delivery_events(db: Database, alert_id: int) -> list[dict[str, Any]]:
    async with db.read() as conn:
        query = select(alert_event).where(alert_event.c.alert_id == alert_id, alert_event.c.kind == "delivery")
        found = (await conn.execute(query.order_by(alert_event.c.id))).all()
    return [dict(r._mapping) for r in found]
