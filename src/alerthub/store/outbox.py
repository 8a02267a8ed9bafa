"""The notification outbox. The pipeline's enqueue side lives here: rows are written in the transaction
of the state change that caused them, before any send is attempted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.notification import NotificationPayload, NotificationStatus
from alerthub.store.tables import notification, notification_alert


@dataclass(frozen=True, slots=True)
class NewNotification:
    idempotency_key: str
    group_key: str
    receiver: str
    channel: str
    kind: str
    status: NotificationStatus
    payload: NotificationPayload
    created_at: datetime
    next_attempt_at: datetime
    thread_key: str
    alert_ids: tuple[int, ...]


async def enqueue(conn: AsyncConnection, rows: Sequence[NewNotification]) -> list[int]:
    """Insert the rows and their alert links in two statements; returns the new ids in order."""
    if not rows:
        return []
    result = await conn.execute(
        insert(notification).returning(notification.c.id, sort_by_parameter_order=True),
        [
            {
                "idempotency_key": r.idempotency_key,
                "group_key": r.group_key,
                "receiver": r.receiver,
                "channel": r.channel,
                "kind": r.kind,
                "status": r.status.value,
                "payload": r.payload.to_json(),
                "attempts": 0,
                "created_at": r.created_at,
                "next_attempt_at": r.next_attempt_at,
                "thread_key": r.thread_key,
            }
            for r in rows
        ],
    )
    ids = [row.id for row in result]
    links = [
        {"notification_id": nid, "alert_id": aid}
        for nid, r in zip(ids, rows, strict=True)
        for aid in sorted(set(r.alert_ids))
    ]
    if links:
        await conn.execute(insert(notification_alert), links)
    return ids


@dataclass(frozen=True, slots=True, order=True)
class NotifiedChannel:
    alert_id: int
    group_key: str
    receiver: str
    channel: str


async def notified_channels(conn: AsyncConnection, alert_ids: Iterable[int]) -> list[NotifiedChannel]:
    """The (group, channel) pairs that were told about these alerts: not suppressed, not failed."""
    wanted = sorted(set(alert_ids))
    if not wanted:
        return []
    query = (
        select(notification_alert.c.alert_id, notification.c.group_key, notification.c.receiver, notification.c.channel)
        .join(notification, notification.c.id == notification_alert.c.notification_id)
        .where(notification_alert.c.alert_id.in_(wanted))
        .where(notification.c.status.not_in([NotificationStatus.SUPPRESSED.value, NotificationStatus.FAILED.value]))
        .distinct()
    )
    rows = (await conn.execute(query)).all()
    return sorted(NotifiedChannel(r.alert_id, r.group_key, r.receiver, r.channel) for r in rows)
