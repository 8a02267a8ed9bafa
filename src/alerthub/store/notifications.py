from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.notification import Notification, NotificationStatus
from alerthub.store.tables import notification, notification_alert


async def for_alert(conn: AsyncConnection, alert_id: int, limit: int = 200) -> list[Notification]:
    query = (
        select(notification)
        .join(notification_alert, notification_alert.c.notification_id == notification.c.id)
        .where(notification_alert.c.alert_id == alert_id)
        .order_by(notification.c.id.desc())
        .limit(limit)
    )
    return [to_notification(row) for row in (await conn.execute(query)).all()]


def to_notification(row: Row[Any]) -> Notification:
    m = row._mapping
    return Notification(
        id=m["id"],
        idempotency_key=m["idempotency_key"],
        group_key=m["group_key"],
        receiver=m["receiver"],
        channel=m["channel"],
        kind=m["kind"],
        status=NotificationStatus(m["status"]),
        payload=m["payload"],
        attempts=m["attempts"],
        created_at=m["created_at"],
        next_attempt_at=m["next_attempt_at"],
        claimed_by=m["claimed_by"],
        claimed_until=m["claimed_until"],
        last_error=m["last_error"],
        sent_at=m["sent_at"],
        external_id=m["external_id"],
        thread_key=m["thread_key"],
    )
