"""Group memberships: which alerts a group holds, and what its last notification said about each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BindParameter, Row, String, bindparam, delete, func, null, select, type_coerce, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert
from alerthub.store.alerts import to_alert
from alerthub.store.bulk import insert_rows
from alerthub.store.groups import KEYS, aware
from alerthub.store.tables import alert, alert_group_member, notification, notification_alert


@dataclass(frozen=True, slots=True)
class MemberRow:
    alert: Alert  # without `raw` (None): the pipeline never sends it
    notified_state: str | None
    notified_severity: str | None
    notified_at: datetime | None
    muted_by: str | None
    last_notified_at: datetime | None = None  # by any group, for the rule's cooldown


@dataclass(frozen=True, slots=True)
class MemberState:
    """A member without its alert: what the group's last notification said about it, and the alert's
    version, so that a flush re-reads only the alerts that changed since it last read them."""

    group_key: str
    alert_id: int
    version: str
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


# Built once (see `groups.KEYS`): every ingest runs them.
_MEMBER_IDS: BindParameter[list[int]] = bindparam("b_ids", expanding=True)
_MEMBERSHIPS = select(alert_group_member.c.group_key, alert_group_member.c.alert_id).where(
    alert_group_member.c.alert_id.in_(_MEMBER_IDS)
)
_REMOVE = delete(alert_group_member).where(
    alert_group_member.c.group_key == bindparam("b_key"), alert_group_member.c.alert_id == bindparam("b_id")
)
_UPDATE = (
    update(alert_group_member)
    .where(alert_group_member.c.group_key == bindparam("b_key"))
    .where(alert_group_member.c.alert_id == bindparam("b_id"))
)


async def add_members(
    conn: AsyncConnection, pairs: Iterable[tuple[str, int]], now: datetime, known: set[tuple[str, int]] | None = None
) -> list[tuple[str, int]]:
    """Add memberships that do not exist yet (`known`: the caller has just read them); returns the ones added."""
    wanted = sorted(set(pairs))
    if not wanted:
        return []
    if known is None:
        ids = sorted({a for _, a in wanted})
        known = {(r.group_key, r.alert_id) for r in (await conn.execute(_MEMBERSHIPS, {"b_ids": ids})).all()}
    missing = [p for p in wanted if p not in known]
    if missing:
        rows = [{"group_key": k, "alert_id": a, "joined_at": now} for k, a in missing]
        await insert_rows(conn, alert_group_member, rows, skip_conflicts=True)
    return missing


async def remove_members(conn: AsyncConnection, pairs: Sequence[tuple[str, int]]) -> None:
    if not pairs:
        return
    await conn.execute(_REMOVE, [{"b_key": k, "b_id": a} for k, a in pairs])


async def groups_of(conn: AsyncConnection, alert_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = sorted(set(alert_ids))
    if not ids:
        return {}
    out: dict[int, list[str]] = {}
    for row in (await conn.execute(_MEMBERSHIPS, {"b_ids": ids})).all():
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
                aware(m["last_notified_at"]),
            )
        )
    return out


async def update_members(conn: AsyncConnection, updates: Sequence[tuple[str, MemberUpdate]]) -> None:
    if not updates:
        return
    await conn.execute(
        _UPDATE,
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


# Every write to an alert moves `last_seen_at` (a new signal) or its state (acknowledge, resolve, expiry);
# the rest guards against two writes in one clock tick. One text column built by the database: cheaper
# to read and compare for every member at every flush than eight.
_VERSION_OF = (
    alert.c.state,
    alert.c.severity,
    alert.c.episode,
    alert.c.count,
    alert.c.last_seen_at,
    alert.c.state_changed_at,
    alert.c.acknowledged_by,
    alert.c.resolved_at,
)


def _version_column() -> Any:
    parts: list[Any] = [func.coalesce(sql_cast(c, String), "") for c in _VERSION_OF]
    token = parts[0]
    for part in parts[1:]:
        token = token + "|" + part
    return token.label("version")


_UNSEEN = datetime.min

# Built once: composing the expression at every flush cost more than the statement it is in.
_VERSION = _version_column()


def _last_notified(last_notified: bool) -> Any:
    if not last_notified:
        return null()
    return (
        select(func.max(notification.c.created_at))
        .join(notification_alert, notification_alert.c.notification_id == notification.c.id)
        .where(notification_alert.c.alert_id == alert.c.id, notification.c.status != "suppressed")
        .scalar_subquery()
    )


def _states(last_notified: bool) -> Any:
    m = alert_group_member.c
    return (
        select(
            m.group_key,
            m.alert_id,
            _VERSION,
            m.notified_state,
            m.notified_severity,
            type_coerce(m.notified_at, String),  # parsed below, once per distinct value
            m.muted_by,
            _last_notified(last_notified).label("last_notified_at"),
        )
        .join(alert, alert.c.id == m.alert_id)
        .where(m.group_key.in_(KEYS))
        .order_by(m.group_key, m.alert_id)
    )


# Built once (see `groups.KEYS`): every flush runs them.
_STATES = {flag: _states(flag) for flag in (False, True)}
_ALERTS = select(*[c for c in alert.c if c.name != "raw"], null().label("raw"), _VERSION).where(
    alert.c.id.in_(_MEMBER_IDS)
)
_TOUCH = (
    update(alert_group_member)
    .where(
        alert_group_member.c.group_key == bindparam("b_key"),
        alert_group_member.c.notified_state == "firing",
        alert_group_member.c.muted_by.is_(None),
    )
    .values(notified_at=bindparam("b_now", type_=alert_group_member.c.notified_at.type))
)


async def member_states(
    conn: AsyncConnection, group_keys: Sequence[str], *, last_notified: bool = True
) -> list[MemberState]:
    """The members of these groups by group and alert id, without their alerts: one narrow statement
    for a whole flush pass. `last_notified=False` (no rule has a cooldown) skips each alert's last
    notification by any group."""
    if not group_keys:
        return []
    query = _STATES[last_notified]
    keys = {"b_keys": sorted(set(group_keys))}
    # By position: this runs for every member of every group a pass flushes. A group's members share
    # their `notified_at` (one message told them all): parsing it once per value, not per member.
    times: dict[object, datetime | None] = {}
    out: list[MemberState] = []
    for r in (await conn.execute(query, keys)).all():
        told = times.get(r[5], _UNSEEN)
        if told is _UNSEEN:
            told = times[r[5]] = aware(r[5])
        out.append(MemberState(r[0], r[1], r[2], r[3], r[4], told, r[6], aware(r[7])))
    return out


async def alerts_by_id(conn: AsyncConnection, alert_ids: Iterable[int]) -> dict[int, tuple[str, Alert]]:
    """Whole alerts (without `raw`: the pipeline never sends it), each with its version as `member_states`
    reads it."""
    ids = sorted(set(alert_ids))
    if not ids:
        return {}
    rows = (await conn.execute(_ALERTS, {"b_ids": ids})).all()
    return {r.id: (r.version, to_alert(cast("Row[Any]", r))) for r in rows}


async def touch(conn: AsyncConnection, group_keys: Sequence[str], now: datetime) -> None:
    """Mark every member the groups' last notifications told as firing, and that no mute holds, as told
    again now: one row per group, not per member (a group's repeat and cooldown count from it). Members
    whose state changed get their own `update_members` row after this."""
    if not group_keys:
        return
    await conn.execute(_TOUCH, [{"b_key": k, "b_now": now} for k in sorted(set(group_keys))])
