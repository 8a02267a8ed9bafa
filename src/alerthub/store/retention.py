"""Deleting old history in bounded batches: resolved alerts (with their events, group memberships and the
notifications about nothing else), delivered notifications, expired silences; and on SQLite giving the
freed pages back to the file system.

Each function is one batch inside the caller's transaction. On PostgreSQL the rows of a batch are locked
with `SKIP LOCKED`, so an alert that ingest is changing right now is left for the next pass, and two
pruners never take the same rows. A notification about an alert that is still open is kept whatever
its age: acknowledging that alert tells every channel that was told about it (store/outbox.py
`notified_channels`), and cooldowns count from its last notification (store/group_members.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, String, and_, any_, bindparam, delete, exists, func, not_, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from alerthub.domain.notification import NotificationStatus
from alerthub.domain.retention import Cutoffs, PruneCounts
from alerthub.store import rollups
from alerthub.store.tables import alert, alert_event, alert_group_member, notification, notification_alert, silence

_UNDELIVERED = (NotificationStatus.PENDING.value, NotificationStatus.SENDING.value)


def _delivered() -> ColumnElement[bool]:
    """Sent, failed or suppressed: never pending or in flight. Said as NOT IN on purpose: SQLite, which
    has no statistics, took `status IN (...)` as a reason to walk the status index over every delivered
    row instead of the id or creation-time index (a second per batch on a year of history)."""
    return notification.c.status.not_in(_UNDELIVERED)


_RESOLVED = "resolved"


def _goes(before: datetime) -> ColumnElement[bool]:
    """An alert resolved before the cut-off; an alert that fired again counts from its last resolution."""
    return and_(alert.c.state == _RESOLVED, alert.c.resolved_at < before)


def _among(
    conn: AsyncConnection, column: ColumnElement[Any], ids: Sequence[int] | Sequence[str]
) -> ColumnElement[bool]:
    """`column IN ids` with the ids as one parameter (a JSON or PostgreSQL array): a batch's hundreds of ids
    as as many bound parameters cost more to render and bind than the deletes took to run."""
    if conn.dialect.name == "postgresql":
        kind = String if ids and isinstance(ids[0], str) else BigInteger
        return column == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(kind)))
    each = func.json_each(bindparam(None, orjson.dumps(list(ids)).decode(), type_=String)).table_valued("value")
    return column.in_(select(each.c.value))


def _locked(conn: AsyncConnection, query: Select[Any], of: Any) -> Select[Any]:
    if conn.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=of)
    return query


async def prune_alerts(conn: AsyncConnection, before: datetime, limit: int) -> PruneCounts:
    """Up to `limit` alerts resolved before `before`, oldest resolution first. Their transitions are
    added to the daily rollups first, so the overview's numbers outlive them."""
    query = select(alert.c.id).where(_goes(before)).order_by(alert.c.resolved_at, alert.c.id).limit(limit)
    ids = list((await conn.execute(_locked(conn, query, alert))).scalars())
    if not ids:
        return PruneCounts()
    await rollups.add(conn, rollups.fold(await rollups.transitions(conn, _among(conn, alert_event.c.alert_id, ids))))
    linked = select(notification_alert.c.notification_id).where(_among(conn, notification_alert.c.alert_id, ids))
    notified = list((await conn.execute(linked.distinct())).scalars())
    events = await conn.execute(delete(alert_event).where(_among(conn, alert_event.c.alert_id, ids)))
    members = await conn.execute(delete(alert_group_member).where(_among(conn, alert_group_member.c.alert_id, ids)))
    await conn.execute(delete(notification_alert).where(_among(conn, notification_alert.c.alert_id, ids)))
    alerts = await conn.execute(delete(alert).where(_among(conn, alert.c.id, ids)))
    # A delivered notification about these alerts only goes with them; one also about a kept alert stays.
    orphans = delete(notification).where(
        _among(conn, notification.c.id, notified),
        _delivered(),
        ~exists().where(notification_alert.c.notification_id == notification.c.id),
    )
    gone = await conn.execute(orphans) if notified else None
    return PruneCounts(
        alerts=alerts.rowcount,
        events=events.rowcount,
        memberships=members.rowcount,
        notifications=gone.rowcount if gone is not None else 0,
    )


def _about_open_alert() -> ColumnElement[bool]:
    return exists().where(
        notification_alert.c.notification_id == notification.c.id,
        notification_alert.c.alert_id == alert.c.id,
        alert.c.state != _RESOLVED,
    )


@dataclass(frozen=True, slots=True)
class NotificationBatch:
    counts: PruneCounts
    # Where the next batch resumes: kept rows before it (pending, about an open alert) are not read again.
    resume_from: datetime | None


async def prune_notifications(
    conn: AsyncConnection, before: datetime, limit: int, resume_from: datetime | None = None
) -> NotificationBatch:
    """Up to `limit` delivered notifications created before `before` that are not about an open alert."""
    query = select(notification.c.id, notification.c.created_at).where(
        _delivered(), notification.c.created_at < before, ~_about_open_alert()
    )
    if resume_from is not None:
        query = query.where(notification.c.created_at >= resume_from)
    query = query.order_by(notification.c.created_at, notification.c.id).limit(limit)
    rows = (await conn.execute(_locked(conn, query, notification))).all()
    if not rows:
        return NotificationBatch(PruneCounts(), resume_from)
    ids = [r.id for r in rows]
    await conn.execute(delete(notification_alert).where(_among(conn, notification_alert.c.notification_id, ids)))
    gone = await conn.execute(delete(notification).where(_among(conn, notification.c.id, ids), _delivered()))
    return NotificationBatch(PruneCounts(notifications=gone.rowcount), max(r.created_at for r in rows))


async def prune_silences(conn: AsyncConnection, before: datetime, limit: int) -> PruneCounts:
    """Up to `limit` silences that ended before `before`."""
    query = select(silence.c.id).where(silence.c.ends_at < before).order_by(silence.c.ends_at).limit(limit)
    ids = list((await conn.execute(_locked(conn, query, silence))).scalars())
    if not ids:
        return PruneCounts()
    gone = await conn.execute(delete(silence).where(_among(conn, silence.c.id, ids), silence.c.ends_at < before))
    return PruneCounts(silences=gone.rowcount)


async def count(conn: AsyncConnection, cutoffs: Cutoffs) -> PruneCounts:
    """What a prune to these cut-offs would delete (a dry run): the same rules, counted."""
    goes = _goes(cutoffs.resolved)
    alerts = select(func.count()).select_from(alert).where(goes)
    events = select(func.count()).select_from(alert_event.join(alert, alert.c.id == alert_event.c.alert_id))
    members = select(func.count()).select_from(
        alert_group_member.join(alert, alert.c.id == alert_group_member.c.alert_id)
    )
    silences = select(func.count()).select_from(silence).where(silence.c.ends_at < cutoffs.silences)
    return PruneCounts(
        alerts=await _scalar(conn, alerts),
        events=await _scalar(conn, events.where(goes)),
        memberships=await _scalar(conn, members.where(goes)),
        notifications=await _scalar(conn, _notifications_to_prune(cutoffs)),
        silences=await _scalar(conn, silences),
    )


def _notifications_to_prune(cutoffs: Cutoffs) -> Select[Any]:
    linked = notification_alert.c.notification_id == notification.c.id
    kept_alert = exists().where(linked, notification_alert.c.alert_id == alert.c.id, not_(_goes(cutoffs.resolved)))
    # Old enough itself, or every alert it is about goes (prune_alerts takes it with the last of them).
    with_its_alerts = and_(exists().where(linked), ~kept_alert)
    return (
        select(func.count())
        .select_from(notification)
        .where(
            _delivered(),
            ~_about_open_alert(),
            or_(notification.c.created_at < cutoffs.notifications, with_its_alerts),
        )
    )


async def _scalar(conn: AsyncConnection, query: Select[Any]) -> int:
    return int((await conn.execute(query)).scalar_one())


async def free_pages(conn: AsyncConnection) -> int:
    """Pages of a SQLite file that deleted rows left unused; 0 on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        return 0
    return int((await conn.exec_driver_sql("PRAGMA freelist_count")).scalar_one())


async def incremental_vacuum(conn: AsyncConnection, pages: int) -> None:
    """Give up to `pages` free pages of a SQLite file back to the file system (the file must be in
    `auto_vacuum=INCREMENTAL`, migration 0004). The pragma frees one page per step of its statement, and
    `execute` steps a statement without result columns only once: `executescript` runs it to the end."""
    if conn.dialect.name != "sqlite" or pages <= 0:
        return
    raw: Any = (await conn.get_raw_connection()).driver_connection
    script = f"PRAGMA incremental_vacuum({int(pages)});"
    if isinstance(raw, sqlite3.Connection):
        raw.executescript(script)
    else:  # aiosqlite (an in-memory database): the same call, awaited
        await raw.executescript(script)
