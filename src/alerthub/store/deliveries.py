"""The delivery side of the outbox: claim due rows under a lease, record each outcome, keep the
provider's message ids per thread, and insert the rows delivery itself creates (digests,
fallback copies). The pipeline writes the rows; this module never creates a first notification.
What people read of it (the delivery log) is store/delivery_log.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from alerthub.domain.notification import Notification, NotificationStatus
from alerthub.store.notifications import to_notification
from alerthub.store.tables import alert, message_thread, notification, notification_alert

n = notification


def _due(now: ColumnElement[datetime]) -> ColumnElement[bool]:
    # A `sending` row whose lease ran out belongs to a worker that died between claim and outcome:
    # it is due again (at-least-once; the idempotency key lets the receiver spot a repeat).
    # Rows merged into a digest have no lease of their own and follow the digest instead.
    return or_(
        and_(n.c.status == NotificationStatus.PENDING.value, n.c.next_attempt_at <= now),
        and_(n.c.status == NotificationStatus.SENDING.value, n.c.claimed_until < now, n.c.merged_into.is_(None)),
    )


# The worker runs these on every wake: built once, with bound parameters, since building a statement
# costs more than running it on SQLite (a built statement's cache key is memoised).
_NOW = bindparam("now", type_=n.c.next_attempt_at.type)
_DUE_COUNTS = select(n.c.channel, func.count()).where(_due(_NOW)).group_by(n.c.channel)
_NEXT_DUE = select(func.min(n.c.next_attempt_at)).where(
    n.c.status == NotificationStatus.PENDING.value, n.c.next_attempt_at > _NOW
)
_LINKS = (
    select(notification_alert.c.notification_id, notification_alert.c.alert_id)
    .where(notification_alert.c.notification_id.in_(bindparam("ids", expanding=True)))
    .order_by(notification_alert.c.alert_id)
)


def _claim_statement(skip_locked: bool) -> Any:
    ids = (
        select(n.c.id)
        .where(_due(_NOW), n.c.channel == bindparam("of_channel", type_=n.c.channel.type))
        .order_by(n.c.next_attempt_at, n.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if skip_locked:
        ids = ids.with_for_update(skip_locked=True)
    return (
        update(n)
        .where(n.c.id.in_(ids.scalar_subquery()))
        .values(
            status=NotificationStatus.SENDING.value,
            claimed_by=bindparam("worker", type_=n.c.claimed_by.type),
            claimed_until=bindparam("lease_until", type_=n.c.claimed_until.type),
            attempts=n.c.attempts + 1,
        )
        .returning(*n.c)
    )


_EPISODES = select(alert.c.id, alert.c.episode).where(alert.c.id.in_(bindparam("ids", expanding=True)))
_CLAIM = {False: _claim_statement(skip_locked=False), True: _claim_statement(skip_locked=True)}


async def due_counts(conn: AsyncConnection, now: datetime) -> dict[str, int]:
    return {row[0]: int(row[1]) for row in (await conn.execute(_DUE_COUNTS, {"now": now})).all()}


async def next_due_at(conn: AsyncConnection, after: datetime) -> datetime | None:
    """When the next row not yet due becomes due."""
    value: datetime | None = (await conn.execute(_NEXT_DUE, {"now": after})).scalar()
    return value


async def claim(
    conn: AsyncConnection, *, channel: str, now: datetime, worker: str, lease_until: datetime, limit: int
) -> list[Notification]:
    """Oldest due rows of one channel, marked `sending` under this worker's lease. On PostgreSQL
    `FOR UPDATE SKIP LOCKED` lets several instances claim side by side without waiting or
    double-sending; SQLite has a single writer, so the same statement is already exclusive."""
    statement = _CLAIM[conn.dialect.name == "postgresql"]
    params = {"now": now, "of_channel": channel, "limit": limit, "worker": worker, "lease_until": lease_until}
    rows = [to_notification(row) for row in (await conn.execute(statement, params)).all()]
    links = await alert_ids(conn, [r.id for r in rows if r.id is not None])
    claimed = [_with_alerts(r, links.get(r.id or 0, ())) for r in rows]
    return sorted(claimed, key=lambda r: (r.next_attempt_at, r.id or 0))


async def release(conn: AsyncConnection, ids: Sequence[int], next_attempt_at: datetime) -> None:
    """Give claimed rows back unsent (their channel is paused): not an attempt."""
    if ids:
        await conn.execute(
            update(n)
            .where(n.c.id.in_(list(ids)))
            .values(
                status=NotificationStatus.PENDING.value,
                next_attempt_at=next_attempt_at,
                claimed_by=None,
                claimed_until=None,
                attempts=n.c.attempts - 1,
            )
        )


_RELEASED: dict[str, Any] = {"claimed_by": None, "claimed_until": None}


def _by_id(column: ColumnElement[Any] | None = None) -> Any:
    """An UPDATE run once per parameter set (executemany): one statement for a batch of outcomes."""
    return update(n).where((n.c.id if column is None else column) == bindparam("row_id", type_=n.c.id.type))


def _both(values: dict[str, Any]) -> tuple[Any, Any]:
    """The UPDATE by row id, and the same for the rows merged into it (a digest's)."""
    return _by_id().values(**values), _by_id(n.c.merged_into).values(**values)


_SENT = _both(
    {
        "status": NotificationStatus.SENT.value,
        "sent_at": bindparam("at", type_=n.c.sent_at.type),
        "external_id": bindparam("external", type_=n.c.external_id.type),
        "last_error": None,
        **_RELEASED,
    }
)
_RETRY = _by_id().values(
    status=NotificationStatus.PENDING.value,
    next_attempt_at=bindparam("at", type_=n.c.next_attempt_at.type),
    last_error=bindparam("error", type_=n.c.last_error.type),
    **_RELEASED,
)
_FINAL = {
    status: _both({"status": status.value, "last_error": bindparam("error", type_=n.c.last_error.type), **_RELEASED})
    for status in (NotificationStatus.FAILED, NotificationStatus.SUPPRESSED)
}


async def mark_sent(conn: AsyncConnection, sent: Sequence[tuple[int, datetime, str | None, bool]]) -> None:
    """(row id, sent at, provider's id, is a digest): a digest's merged rows take its outcome."""
    if not sent:
        return
    params = [{"row_id": i, "at": at, "external": ext} for i, at, ext, _ in sent]
    await conn.execute(_SENT[0], params)
    digests = [p for p, (*_, digest) in zip(params, sent, strict=True) if digest]
    if digests:
        await conn.execute(_SENT[1], digests)


async def mark_retry(conn: AsyncConnection, retries: Sequence[tuple[int, datetime, str]]) -> None:
    """(row id, next attempt at, error): back to pending, not yet an outcome for merged rows."""
    if not retries:
        return
    await conn.execute(_RETRY, [{"row_id": i, "at": at, "error": e} for i, at, e in retries])


async def mark_failed(conn: AsyncConnection, failed: Sequence[tuple[int, str, bool]]) -> None:
    """(row id, error, is a digest)."""
    await _mark_final(conn, NotificationStatus.FAILED, failed)


async def mark_suppressed(conn: AsyncConnection, suppressed: Sequence[tuple[int, str]]) -> None:
    await _mark_final(conn, NotificationStatus.SUPPRESSED, [(i, note, False) for i, note in suppressed])


async def _mark_final(conn: AsyncConnection, status: NotificationStatus, rows: Sequence[tuple[int, str, bool]]) -> None:
    if not rows:
        return
    params = [{"row_id": i, "error": e} for i, e, _ in rows]
    by_id, merged = _FINAL[status]
    await conn.execute(by_id, params)
    digests = [p for p, (*_, digest) in zip(params, rows, strict=True) if digest]
    if digests:
        await conn.execute(merged, digests)


async def insert_row(
    conn: AsyncConnection, row: dict[str, Any], alert_ids_: Sequence[int], *, if_absent: bool = False
) -> int | None:
    """A row delivery creates itself (digest, fallback copy). With `if_absent` an existing
    idempotency key wins, so a fallback copy is made once however often the primary fails."""
    if if_absent:
        found = await conn.execute(select(n.c.id).where(n.c.idempotency_key == row["idempotency_key"]))
        if found.first() is not None:
            return None
    new_id: int = (await conn.execute(insert(n).returning(n.c.id), [row])).scalar_one()
    if alert_ids_:
        await conn.execute(
            insert(notification_alert), [{"notification_id": new_id, "alert_id": a} for a in sorted(set(alert_ids_))]
        )
    return new_id


async def merge_into(conn: AsyncConnection, digest_id: int, ids: Sequence[int]) -> None:
    await conn.execute(
        update(n).where(n.c.id.in_(list(ids))).values(merged_into=digest_id, claimed_by=None, claimed_until=None)
    )


async def alert_ids(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
    if not ids:
        return {}
    found: dict[int, list[int]] = {}
    for notification_id, alert_id in (await conn.execute(_LINKS, {"ids": list(ids)})).all():
        found.setdefault(notification_id, []).append(alert_id)
    return {k: tuple(v) for k, v in found.items()}


async def episodes(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    return {row[0]: row[1] for row in (await conn.execute(_EPISODES, {"ids": list(ids)})).all()}


async def thread_for(conn: AsyncConnection, thread_key: str, channel: str) -> str | None:
    query = select(message_thread.c.external_id).where(
        message_thread.c.thread_key == thread_key, message_thread.c.channel == channel
    )
    value: str | None = (await conn.execute(query)).scalar()
    return value


async def merged_threads(conn: AsyncConnection, digest_id: int, channel: str, limit: int) -> list[str]:
    """The first message of each thread whose rows went into this digest, oldest thread first."""
    query = (
        select(message_thread.c.external_id)
        .join(n, n.c.thread_key == message_thread.c.thread_key)
        .where(n.c.merged_into == digest_id, message_thread.c.channel == channel)
        .group_by(message_thread.c.external_id)
        .order_by(func.min(n.c.id))
        .limit(limit)
    )
    return [str(v) for v in (await conn.execute(query)).scalars()]


async def save_thread(
    conn: AsyncConnection, thread_key: str, channel: str, external_id: str, now: datetime, *, replace: bool = False
) -> None:
    """The first message of a thread is kept, and later ones edit or reply to it; `replace` starts
    the thread anew (a new episode of the group)."""
    values = {"thread_key": thread_key, "channel": channel, "external_id": external_id, "created_at": now}
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(message_thread).values(values)
    if replace:
        statement = statement.on_conflict_do_update(
            index_elements=[message_thread.c.thread_key],
            set_={"channel": channel, "external_id": external_id, "created_at": now},
        )
    else:
        statement = statement.on_conflict_do_nothing()
    await conn.execute(statement)


def _with_alerts(row: Notification, ids: tuple[int, ...]) -> Notification:
    return replace(row, alert_ids=ids)


async def get(conn: AsyncConnection, row_id: int) -> Notification | None:
    row = (await conn.execute(select(n).where(n.c.id == row_id))).first()
    if row is None:
        return None
    links = await alert_ids(conn, [row_id])
    return replace(to_notification(row), alert_ids=links.get(row_id, ()), extra={"merged_into": row.merged_into})
