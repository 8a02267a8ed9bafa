"""Aggregation groups, their members and their timers.

A group is due when `flush_at` has passed. A dispatcher claims due groups with a lease (on PostgreSQL
under `FOR UPDATE SKIP LOCKED`), so with several instances exactly one flushes a group; a crashed
dispatcher's lease runs out and another takes the group over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, and_, bindparam, case, delete, func, null, or_, select, type_coerce, update
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
    alert: Alert  # without `raw` (None): the pipeline never sends it
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
    return (await members_of(conn, [group_key])).get(group_key, [])


async def members_of(
    conn: AsyncConnection, group_keys: Sequence[str], *, last_notified: bool = True
) -> dict[str, list[MemberRow]]:
    """Each group's members in alert id order, read in one statement for a whole flush pass.
    `last_notified=False` (no rule has a cooldown) skips looking up each alert's last notification."""
    if not group_keys:
        return {}
    told: Any = (
        select(func.max(notification.c.created_at))
        .join(notification_alert, notification_alert.c.notification_id == notification.c.id)
        .where(notification_alert.c.alert_id == alert.c.id, notification.c.status != "suppressed")
        .scalar_subquery()
        if last_notified
        else null()
    )
    # The sender's raw payload is never part of a notification: not read, nor decoded, at every flush.
    columns = [c for c in alert.c if c.name != "raw"]
    query = (
        select(*columns, null().label("raw"), alert_group_member, told.label("last_notified_at"))
        .join(alert_group_member, alert_group_member.c.alert_id == alert.c.id)
        .where(alert_group_member.c.group_key.in_(sorted(set(group_keys))))
        .order_by(alert_group_member.c.group_key, alert.c.id)
    )
    out: dict[str, list[MemberRow]] = {}
    for row in (await conn.execute(query)).all():
        m = row._mapping
        out.setdefault(m["group_key"], []).append(
            MemberRow(
                to_alert(cast("Row[Any]", row)),
                m["notified_state"],
                m["notified_severity"],
                m["notified_at"],
                m["muted_by"],
                _aware(m["last_notified_at"]),
            )
        )
    return out


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


def _due_and_free(now: datetime) -> Any:
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


async def lock_due(conn: AsyncConnection, now: datetime, limit: int) -> list[GroupRow]:
    """The due groups nobody holds, locked for this transaction (on PostgreSQL `FOR UPDATE SKIP LOCKED`;
    SQLite has one writer): a flush that claims and finishes in one transaction needs no lease."""
    query = select(alert_group).where(_due_and_free(now)).order_by(alert_group.c.flush_at).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [_group(row) for row in (await conn.execute(query)).all()]


async def lock_claimed(conn: AsyncConnection, group_key: str, owner: str) -> GroupRow | None:
    """The group, if this owner still holds its lease (None: taken over or gone)."""
    query = select(alert_group).where(alert_group.c.group_key == group_key, alert_group.c.lease_owner == owner)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _group(row) if row else None


@dataclass(frozen=True, slots=True)
class Flushed:
    """What one group's flush changes: its members' state, who left, and when it is due next."""

    group_key: str
    next_flush_at: datetime | None
    updates: Sequence[MemberUpdate]
    removed: Sequence[int]


async def finish_flushes(conn: AsyncConnection, flushed: Sequence[Flushed], now: datetime) -> None:
    """Record a pass's flushes, a fixed number of statements for any number of groups: member states,
    the members gone, each group's next due time with its lease released; an emptied group goes."""
    if not flushed:
        return
    await _update_members(conn, [(f.group_key, u) for f in flushed for u in f.updates])
    await remove_members(conn, [(f.group_key, a) for f in flushed for a in sorted(f.removed)])
    keys = sorted({f.group_key for f in flushed})
    counted = (
        select(alert_group_member.c.group_key, func.count())
        .where(alert_group_member.c.group_key.in_(keys))
        .group_by(alert_group_member.c.group_key)
    )
    left = {r[0] for r in (await conn.execute(counted)).all() if r[1]}
    if empty := [k for k in keys if k not in left]:
        await conn.execute(delete(alert_group).where(alert_group.c.group_key.in_(empty)))
    kept = [{"b_key": f.group_key, "b_next": f.next_flush_at} for f in flushed if f.group_key in left]
    if kept:
        await conn.execute(
            update(alert_group)
            .where(alert_group.c.group_key == bindparam("b_key"))
            .values(
                flush_at=bindparam("b_next", type_=alert_group.c.flush_at.type),
                last_flush_at=now,
                lease_owner=None,
                lease_until=None,
            ),
            kept,
        )


async def _update_members(conn: AsyncConnection, updates: Sequence[tuple[str, MemberUpdate]]) -> None:
    if not updates:
        return
    await conn.execute(
        update(alert_group_member)
        .where(alert_group_member.c.group_key == bindparam("b_key"))
        .where(alert_group_member.c.alert_id == bindparam("b_id")),
        [
            {
                "b_key": key,
                "b_id": u.alert_id,
                "notified_state": u.notified_state,
                "notified_severity": u.notified_severity,
                "notified_at": u.notified_at,
                "muted_by": u.muted_by,
            }
            for key, u in updates
        ],
    )


async def release(conn: AsyncConnection, group_key: str, owner: str) -> None:
    await conn.execute(
        update(alert_group)
        .where(alert_group.c.group_key == group_key, alert_group.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


async def next_due(conn: AsyncConnection, now: datetime) -> datetime | None:
    """When a group can next be flushed here: its flush_at, or the end of another owner's live lease."""
    held = and_(alert_group.c.lease_until.is_not(None), alert_group.c.lease_until >= now)
    when = case(
        (and_(held, alert_group.c.lease_until > alert_group.c.flush_at), alert_group.c.lease_until),
        else_=alert_group.c.flush_at,
    )
    value = await conn.scalar(select(func.min(type_coerce(when, alert_group.c.flush_at.type))))
    return _aware(value)


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
