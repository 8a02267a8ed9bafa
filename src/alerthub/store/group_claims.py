"""Claims: how exactly one dispatcher flushes a group. A pass locks the due groups nobody holds and
finishes them in its own transaction (on PostgreSQL under `FOR UPDATE SKIP LOCKED`); a group flushed on
its own is taken with a lease, so a crashed dispatcher's groups are taken over when the lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.groups import GroupRow, group_row
from alerthub.store.tables import alert, alert_group


def _due_and_free(now: datetime | BindParameter[datetime]) -> Any:
    free = or_(alert_group.c.lease_until.is_(None), alert_group.c.lease_until < now)
    return and_(alert_group.c.flush_at <= now, free)


async def claim_due(conn: AsyncConnection, owner: str, now: datetime, lease: timedelta, limit: int = 50) -> list[str]:
    """Take a lease on due groups nobody holds (or whose holder's lease ran out)."""
    query = select(alert_group.c.group_key).where(_due_and_free(now)).order_by(alert_group.c.flush_at).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    keys = [r.group_key for r in (await conn.execute(query)).all()]
    if keys:
        await conn.execute(
            update(alert_group)
            .where(alert_group.c.group_key.in_(keys))
            .values(lease_owner=owner, lease_until=now + lease)
        )
    return keys


# Every pass runs it: built once, with its time and limit bound.
_LOCK_DUE = (
    select(alert_group)
    .where(_due_and_free(bindparam("b_now", type_=alert_group.c.flush_at.type)))
    .order_by(alert_group.c.flush_at)
    .limit(bindparam("b_limit"))
)
_LOCK_DUE_PG = _LOCK_DUE.with_for_update(skip_locked=True)


async def lock_due(conn: AsyncConnection, now: datetime, limit: int) -> list[GroupRow]:
    """The due groups nobody holds, locked for this transaction (on PostgreSQL `FOR UPDATE SKIP LOCKED`;
    SQLite has one writer): a flush that claims and finishes in one transaction needs no lease."""
    query = _LOCK_DUE_PG if conn.dialect.name == "postgresql" else _LOCK_DUE
    return [group_row(row) for row in (await conn.execute(query, {"b_now": now, "b_limit": limit})).all()]


async def lock_claimed(conn: AsyncConnection, group_key: str, owner: str) -> GroupRow | None:
    """The group, if this owner still holds its lease (None: taken over or gone)."""
    query = select(alert_group).where(alert_group.c.group_key == group_key, alert_group.c.lease_owner == owner)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return group_row(row) if row else None


async def release(conn: AsyncConnection, group_key: str, owner: str) -> None:
    await conn.execute(
        update(alert_group)
        .where(alert_group.c.group_key == group_key, alert_group.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


async def share_alerts(conn: AsyncConnection, alert_ids: Sequence[int]) -> set[int]:
    """Hold the alerts against change for this transaction (`FOR KEY SHARE`), skipping any a writer holds
    now; returns the ids held. SQLite has one writer at a time: every alert is free."""
    if conn.dialect.name != "postgresql" or not alert_ids:
        return set(alert_ids)
    query = (
        select(alert.c.id)
        .where(alert.c.id.in_(sorted(alert_ids)))
        .with_for_update(read=True, key_share=True, skip_locked=True)
    )
    return {row.id for row in (await conn.execute(query)).all()}
