"""The delivery log (GET /api/notifications): outbox rows newest first, failures first on request,
and a failed row's second chance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import and_, case, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.notification import Notification, NotificationStatus
from alerthub.store.deliveries import alert_ids
from alerthub.store.notifications import to_notification
from alerthub.store.tables import notification

n = notification


async def log(
    conn: AsyncConnection,
    *,
    statuses: Sequence[str],
    channels: Sequence[str],
    failures_first: bool,
    limit: int,
    after: tuple[int, int] | None,
) -> list[Notification]:
    """Newest first; with `failures_first`, failed rows lead. `after` is the (rank, id) of the last
    row of the previous page, the keyset cursor."""
    rank = case((n.c.status == NotificationStatus.FAILED.value, 0), else_=1) if failures_first else literal(0)
    query = select(n, rank.label("rank"))
    if statuses:
        query = query.where(n.c.status.in_(list(statuses)))
    if channels:
        query = query.where(n.c.channel.in_(list(channels)))
    if after is not None:
        last_rank, last_id = after
        query = query.where(or_(rank > last_rank, and_(rank == last_rank, n.c.id < last_id)))
    query = query.order_by(rank, n.c.id.desc()).limit(limit)
    rows = (await conn.execute(query)).all()
    links = await alert_ids(conn, [row.id for row in rows])
    return [
        replace(
            to_notification(row),
            alert_ids=links.get(row.id, ()),
            extra={"merged_into": row.merged_into, "rank": int(row.rank)},
        )
        for row in rows
    ]


async def retry_failed(conn: AsyncConnection, row_id: int, now: datetime) -> bool:
    """A failed row goes back to pending with a fresh attempt budget; False when it is not failed."""
    result = await conn.execute(
        update(n)
        .where(n.c.id == row_id, n.c.status == NotificationStatus.FAILED.value)
        .values(
            status=NotificationStatus.PENDING.value,
            next_attempt_at=now,
            attempts=0,
            claimed_by=None,
            claimed_until=None,
        )
    )
    return bool(result.rowcount)
