"""What /metrics reads from the database at scrape time: each query walks an index over the rows it
counts (the unsent outbox, open alerts, live silences), never the whole history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import AlertState
from alerthub.domain.notification import NotificationStatus
from alerthub.store import silences
from alerthub.store.tables import alert, notification

n = notification
_NOW = bindparam("now", type_=n.c.next_attempt_at.type)
_PENDING = NotificationStatus.PENDING.value
_UNSENT = (_PENDING, NotificationStatus.SENDING.value)

# `status IN (...)` is the leading column of ix_notification_status_next_attempt_at: the sent history,
# however long, is never read.
_BACKLOG = (
    select(
        n.c.channel,
        func.count(),
        type_coerce(
            func.min(case((and_(n.c.status == _PENDING, n.c.next_attempt_at <= _NOW), n.c.next_attempt_at))),
            n.c.next_attempt_at.type,
        ),
    )
    .where(n.c.status.in_(_UNSENT))
    .group_by(n.c.channel)
)
_OPEN_BY_SEVERITY = (
    select(alert.c.severity, func.count())
    .where(alert.c.state.in_([s.value for s in AlertState if s.is_open]))
    .group_by(alert.c.severity)
)


@dataclass(frozen=True, slots=True)
class ChannelBacklog:
    unsent: int  # pending or being sent
    oldest_due: datetime | None  # the earliest next attempt already due, if any


@dataclass(frozen=True, slots=True)
class OperatorGauges:
    backlog: dict[str, ChannelBacklog]
    open_by_severity: dict[str, int]
    active_silences: int


async def outbox_backlog(conn: AsyncConnection, now: datetime) -> dict[str, ChannelBacklog]:
    rows = await conn.execute(_BACKLOG, {"now": now})
    return {channel: ChannelBacklog(count, oldest) for channel, count, oldest in rows}


async def open_by_severity(conn: AsyncConnection) -> dict[str, int]:
    return {severity: count for severity, count in await conn.execute(_OPEN_BY_SEVERITY)}


async def active_silences(conn: AsyncConnection, now: datetime) -> int:
    """Silences muting now: a recurring one only inside an occurrence (`silences.active`)."""
    return len(await silences.active(conn, now))


async def operator_gauges(conn: AsyncConnection, now: datetime) -> OperatorGauges:
    return OperatorGauges(
        await outbox_backlog(conn, now), await open_by_severity(conn), await active_silences(conn, now)
    )
