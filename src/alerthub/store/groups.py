"""Aggregation groups: the `alert_group` rows themselves. Their members live in `group_members`, the
claims that make exactly one dispatcher flush a group in `group_claims`, their timers in `group_timers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.bulk import insert_rows
from alerthub.store.tables import alert, alert_group


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


# The statements every ingest and every flush runs are built once, with bound parameters (expanding
# ones for key lists): composing a statement cost more than running it on SQLite.
KEYS: BindParameter[list[str]] = bindparam("b_keys", expanding=True)
_LOCK = select(alert_group).where(alert_group.c.group_key.in_(KEYS))
_LOCK_PG = _LOCK.order_by(alert_group.c.group_key).with_for_update()


async def lock(conn: AsyncConnection, keys: Iterable[str]) -> dict[str, GroupRow]:
    """Read groups, locking them on PostgreSQL in key order so a dispatcher mid-flush finishes first."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    query = _LOCK_PG if conn.dialect.name == "postgresql" else _LOCK
    return {row.group_key: group_row(row) for row in (await conn.execute(query, {"b_keys": wanted})).all()}


async def create(conn: AsyncConnection, groups: Sequence[NewGroup], now: datetime) -> set[str]:
    """Insert the groups that do not exist yet; returns the keys this transaction created (another may
    have created the same group first)."""
    if not groups:
        return set()
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
    created = await insert_rows(conn, alert_group, rows, returning=("group_key",), skip_conflicts=True)
    return {row.group_key for row in created}


async def get(conn: AsyncConnection, keys: Iterable[str]) -> dict[str, GroupRow]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = (await conn.execute(select(alert_group).where(alert_group.c.group_key.in_(wanted)))).all()
    return {row.group_key: group_row(row) for row in rows}


def group_row(row: Any) -> GroupRow:
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
    fingerprint: str = ""  # how Alertmanager's API names an inhibiting alert


async def firing_alerts(conn: AsyncConnection) -> list[FiringAlert]:
    """Every alert that fires (acknowledged or not), labels only: the possible sources of inhibition."""
    query = (
        select(alert.c.id, alert.c.rule_name, alert.c.severity, alert.c.labels, alert.c.fingerprint)
        .where(alert.c.state.in_(["firing", "acknowledged"]))
        .order_by(alert.c.id)
    )
    rows = (await conn.execute(query)).all()
    return [FiringAlert(r.id, r.rule_name, r.severity, r.labels, r.fingerprint) for r in rows]


def aware(value: datetime | str | None) -> datetime | None:
    # An aggregate loses the column type on SQLite: parse the stored text back to UTC.
    if value is None or isinstance(value, datetime):
        return value if value is None else value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
