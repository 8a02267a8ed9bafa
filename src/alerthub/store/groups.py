"""Aggregation groups, their members and their timers.

A group is due when `flush_at` has passed. A dispatcher claims due groups with a lease (on PostgreSQL
under `FOR UPDATE SKIP LOCKED`), so with several instances exactly one flushes a group; a crashed
dispatcher's lease runs out and another takes the group over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert
from alerthub.store.alerts import to_alert
from alerthub.store.tables import alert, alert_group, alert_group_member, notification, notification_alert


@dataclass(frozen=True, slots=True)
class GroupRow:
    group_key: str
    receiver: str
    route_path: str
    group_labels: dict[str, str]
    created_at: datetime
    flush_at: datetime | None
    last_flush_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewGroup:
    group_key: str
    receiver: str
    route_path: str
    group_labels: dict[str, str]
    flush_at: datetime


@dataclass(frozen=True, slots=True)
class MemberRow:
    alert: Alert
    notified_state: str | None
    notified_severity: str | None
    notified_at: datetime | None
    muted_by: str | None
    last_notified_at: datetime | None = None  # by any group, for the rule's cooldown


@dataclass(frozen=True, slots=True)
class MemberUpdate:
    alert_id: int
    notified_state: str | None
    notified_severity: str | None
    notified_at: datetime | None
    muted_by: str | None


def _insert(conn: AsyncConnection, table: Any) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def lock(conn: AsyncConnection, keys: Iterable[str]) -> dict[str, GroupRow]:
    """Read groups, locking them on PostgreSQL in key order so a dispatcher mid-flush finishes first."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    query = select(alert_group).where(alert_group.c.group_key.in_(wanted))
    if conn.dialect.name == "postgresql":
        query = query.order_by(alert_group.c.group_key).with_for_update()
    return {row.group_key: _group(row) for row in (await conn.execute(query)).all()}


async def create(conn: AsyncConnection, groups: Sequence[NewGroup], now: datetime) -> None:
    if not groups:
        return
    rows = [
        {
            "group_key": g.group_key,
            "receiver": g.receiver,
            "route_path": g.route_path,
            "group_labels": g.group_labels,
            "created_at": now,
            "flush_at": g.flush_at,
        }
        for g in groups
    ]
    await conn.execute(_insert(conn, alert_group).on_conflict_do_nothing(), rows)


async def bring_forward(conn: AsyncConnection, due: Sequence[tuple[str, datetime]]) -> None:
    """Set each group's flush_at to the given time unless it is already due earlier."""
    if not due:
        return
    when = bindparam("b_due", type_=alert_group.c.flush_at.type)
    query = (
        update(alert_group)
        .where(alert_group.c.group_key == bindparam("b_key"))
        .values(
            flush_at=case(
                (or_(alert_group.c.flush_at.is_(None), alert_group.c.flush_at > when), when),
                else_=alert_group.c.flush_at,
            )
        )
    )
    await conn.execute(query, [{"b_key": k, "b_due": d} for k, d in due])


async def add_members(
    conn: AsyncConnection, pairs: Iterable[tuple[str, int]], now: datetime, known: set[tuple[str, int]] | None = None
) -> list[tuple[str, int]]:
    """Add memberships that do not exist yet (`known`: the caller has just read them); returns the ones added."""
    wanted = sorted(set(pairs))
    if not wanted:
        return []
    if known is None:
        ids = sorted({a for _, a in wanted})
        query = select(alert_group_member.c.group_key, alert_group_member.c.alert_id).where(
            alert_group_member.c.alert_id.in_(ids)
        )
        known = {(r.group_key, r.alert_id) for r in (await conn.execute(query)).all()}
    missing = [p for p in wanted if p not in known]
    if missing:
        rows = [{"group_key": k, "alert_id": a, "joined_at": now} for k, a in missing]
        await conn.execute(_insert(conn, alert_group_member).on_conflict_do_nothing(), rows)
    return missing


async def remove_members(conn: AsyncConnection, pairs: Sequence[tuple[str, int]]) -> None:
    if not pairs:
        return
    await conn.execute(
        delete(alert_group_member).where(
            alert_group_member.c.group_key == bindparam("b_key"), alert_group_member.c.alert_id == bindparam("b_id")
        ),
        [{"b_key": k, "b_id": a} for k, a in pairs],
    )


async def groups_of(conn: AsyncConnection, alert_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = sorted(set(alert_ids))
    if not ids:
        return {}
    query = select(alert_group_member.c.alert_id, alert_group_member.c.group_key).where(
        alert_group_member.c.alert_id.in_(ids)
    )
    out: dict[int, list[str]] = {}
    for row in (await conn.execute(query)).all():
        out.setdefault(row.alert_id, []).append(row.group_key)
    return out


async def members(conn: AsyncConnection, group_key: str) -> list[MemberRow]:
    told = (
        select(func.max(notification.c.created_at))
        .join(notification_alert, notification_alert.c.notification_id == notification.c.id)
        .where(notification_alert.c.alert_id == alert.c.id, notification.c.status != "suppressed")
        .scalar_subquery()
    )
    query = (
        select(alert, alert_group_member, told.label("last_notified_at"))
        .join(alert_group_member, alert_group_member.c.alert_id == alert.c.id)
        .where(alert_group_member.c.group_key == group_key)
        .order_by(alert.c.id)
    )
    rows = (await conn.execute(query)).all()
    return [
        MemberRow(
            to_alert(row),
            row._mapping["notified_state"],
            row._mapping["notified_severity"],
            row._mapping["notified_at"],
            row._mapping["muted_by"],
            _aware(row._mapping["last_notified_at"]),
        )
        for row in rows
    ]


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


async def claim_due(conn: AsyncConnection, owner: str, now: datetime, lease: timedelta, limit: int = 50) -> list[str]:
    """Take a lease on due groups nobody holds (or whose holder's lease ran out)."""
    free = or_(alert_group.c.lease_until.is_(None), alert_group.c.lease_until < now)
    query = (
        select(alert_group.c.group_key)
        .where(and_(alert_group.c.flush_at <= now, free))
        .order_by(alert_group.c.flush_at)
        .limit(limit)
    )
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


async def lock_claimed(conn: AsyncConnection, group_key: str, owner: str) -> GroupRow | None:
    """The group, if this owner still holds its lease (None: taken over or gone)."""
    query = select(alert_group).where(alert_group.c.group_key == group_key, alert_group.c.lease_owner == owner)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _group(row) if row else None


async def finish_flush(
    conn: AsyncConnection,
    group_key: str,
    now: datetime,
    next_flush_at: datetime | None,
    updates: Sequence[MemberUpdate],
    removed: Sequence[int],
) -> None:
    """Record the flush: member states, the next due time, the lease released; an empty group goes."""
    await _update_members(conn, group_key, updates)
    if removed:
        await conn.execute(
            delete(alert_group_member).where(
                alert_group_member.c.group_key == group_key, alert_group_member.c.alert_id.in_(sorted(removed))
            )
        )
    left = await conn.scalar(
        select(func.count()).select_from(alert_group_member).where(alert_group_member.c.group_key == group_key)
    )
    if not left:
        await conn.execute(delete(alert_group).where(alert_group.c.group_key == group_key))
        return
    await conn.execute(
        update(alert_group)
        .where(alert_group.c.group_key == group_key)
        .values(flush_at=next_flush_at, last_flush_at=now, lease_owner=None, lease_until=None)
    )


async def _update_members(conn: AsyncConnection, group_key: str, updates: Sequence[MemberUpdate]) -> None:
    if not updates:
        return
    await conn.execute(
        update(alert_group_member)
        .where(alert_group_member.c.group_key == group_key)
        .where(alert_group_member.c.alert_id == bindparam("b_id")),
        [
            {
                "b_id": u.alert_id,
                "notified_state": u.notified_state,
                "notified_severity": u.notified_severity,
                "notified_at": u.notified_at,
                "muted_by": u.muted_by,
            }
            for u in updates
        ],
    )


async def release(conn: AsyncConnection, group_key: str, owner: str) -> None:
    await conn.execute(
        update(alert_group)
        .where(alert_group.c.group_key == group_key, alert_group.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


async def next_due(conn: AsyncConnection) -> datetime | None:
    value: datetime | None = await conn.scalar(select(func.min(alert_group.c.flush_at)))
    return value


async def get(conn: AsyncConnection, keys: Iterable[str]) -> dict[str, GroupRow]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = (await conn.execute(select(alert_group).where(alert_group.c.group_key.in_(wanted)))).all()
    return {row.group_key: _group(row) for row in rows}


def _group(row: Any) -> GroupRow:
    m = row._mapping
    return GroupRow(
        group_key=m["group_key"],
        receiver=m["receiver"],
        route_path=m["route_path"],
        group_labels=m["group_labels"],
        created_at=m["created_at"],
        flush_at=m["flush_at"],
        last_flush_at=m["last_flush_at"],
    )


@dataclass(frozen=True, slots=True)
class FiringAlert:
    id: int
    rule_name: str
    severity: str
    labels: dict[str, str]


async def firing_alerts(conn: AsyncConnection) -> list[FiringAlert]:
    """Every alert that fires (acknowledged or not), labels only: the possible sources of inhibition."""
    query = (
        select(alert.c.id, alert.c.rule_name, alert.c.severity, alert.c.labels)
        .where(alert.c.state.in_(["firing", "acknowledged"]))
        .order_by(alert.c.id)
    )
    return [FiringAlert(r.id, r.rule_name, r.severity, r.labels) for r in (await conn.execute(query)).all()]


def _aware(value: datetime | str | None) -> datetime | None:
    # An aggregate loses the column type on SQLite: parse the stored text back to UTC.
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
