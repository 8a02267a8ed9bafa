"""Group timers: when a group is due next, moved earlier by ingest and set by each flush."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.group_members import MemberUpdate, remove_members, touch, update_members
from alerthub.store.groups import KEYS, aware
from alerthub.store.tables import alert_group, alert_group_member


def _bring_forward() -> Any:
    when = bindparam("b_due", type_=alert_group.c.flush_at.type)
    return (
        update(alert_group)
        .where(alert_group.c.group_key == bindparam("b_key"))
        .values(
            flush_at=case(
                (or_(alert_group.c.flush_at.is_(None), alert_group.c.flush_at > when), when),
                else_=alert_group.c.flush_at,
            )
        )
    )


def _next_due() -> Any:
    now = bindparam("b_now", type_=alert_group.c.lease_until.type)
    held = and_(alert_group.c.lease_until.is_not(None), alert_group.c.lease_until >= now)
    when = case(
        (and_(held, alert_group.c.lease_until > alert_group.c.flush_at), alert_group.c.lease_until),
        else_=alert_group.c.flush_at,
    )
    return select(func.min(type_coerce(when, alert_group.c.flush_at.type)))


# Built once (see `groups.KEYS`): every ingest and every pass runs them.
_BRING_FORWARD = _bring_forward()
_NEXT_DUE = _next_due()
_COUNT = (
    select(alert_group_member.c.group_key, func.count())
    .where(alert_group_member.c.group_key.in_(KEYS))
    .group_by(alert_group_member.c.group_key)
)
_DELETE = delete(alert_group).where(alert_group.c.group_key.in_(KEYS))
_FINISH = (
    update(alert_group)
    .where(alert_group.c.group_key == bindparam("b_key"))
    .values(
        flush_at=bindparam("b_next", type_=alert_group.c.flush_at.type),
        last_flush_at=bindparam("b_last", type_=alert_group.c.last_flush_at.type),
        lease_owner=None,
        lease_until=None,
    )
)


async def bring_forward(conn: AsyncConnection, due: Sequence[tuple[str, datetime]]) -> None:
    """Set each group's flush_at to the given time unless it is already due earlier."""
    if not due:
        return
    await conn.execute(_BRING_FORWARD, [{"b_key": k, "b_due": d} for k, d in due])


async def next_due(conn: AsyncConnection, now: datetime) -> datetime | None:
    """When a group can next be flushed here: its flush_at, or the end of another owner's live lease."""
    return aware(await conn.scalar(_NEXT_DUE, {"b_now": now}))


@dataclass(frozen=True, slots=True)
class Flushed:
    """What one group's flush changes: its members' state, who left, and when it is due next. `touched`:
    a notification went out, so every member it told again without news is marked told now (`touch`);
    `updates` are the members whose state changed, written after that."""

    group_key: str
    next_flush_at: datetime | None
    updates: Sequence[MemberUpdate]
    removed: Sequence[int]
    touched: bool = False
    ticked_at: datetime | None = None  # the flush's time for the group's timer (default: the pass's `now`)


async def sizes(conn: AsyncConnection, group_keys: Sequence[str]) -> dict[str, int]:
    """How many members each group has (a group with none is left out)."""
    if not group_keys:
        return {}
    return {r[0]: r[1] for r in (await conn.execute(_COUNT, {"b_keys": sorted(set(group_keys))})).all()}


async def finish_flushes(conn: AsyncConnection, flushed: Sequence[Flushed], now: datetime) -> None:
    """Record a pass's flushes, a fixed number of statements for any number of groups: member states,
    the members gone, each group's next due time with its lease released; an emptied group goes."""
    if not flushed:
        return
    await touch(conn, [f.group_key for f in flushed if f.touched], now)
    await update_members(conn, [(f.group_key, u) for f in flushed for u in f.updates])
    await remove_members(conn, [(f.group_key, a) for f in flushed for a in sorted(f.removed)])
    keys = sorted({f.group_key for f in flushed})
    left = {r[0] for r in (await conn.execute(_COUNT, {"b_keys": keys})).all() if r[1]}
    if empty := [k for k in keys if k not in left]:
        await conn.execute(_DELETE, {"b_keys": empty})
    kept = [
        {"b_key": f.group_key, "b_next": f.next_flush_at, "b_last": f.ticked_at or now}
        for f in flushed
        if f.group_key in left
    ]
    if kept:
        await conn.execute(_FINISH, kept)
