"""Poller bookkeeping: one `monitor_state` row per poller, and the expiring `lease` that makes one
instance its owner when several share the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.tables import lease, monitor_state


@dataclass(frozen=True, slots=True)
class MonitorState:
    name: str
    kind: str
    last_run: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    next_run: datetime | None = None
    consecutive_failures: int = 0
    # What the poller reported last time (a JSON list), so a series that disappears can be resolved.
    cursor: list[Any] = field(default_factory=list)


async def get(conn: AsyncConnection, name: str) -> MonitorState | None:
    row = (await conn.execute(select(monitor_state).where(monitor_state.c.name == name))).first()
    return _to_state(row) if row else None


async def list_all(conn: AsyncConnection) -> list[MonitorState]:
    rows = (await conn.execute(select(monitor_state).order_by(monitor_state.c.name))).all()
    return [_to_state(r) for r in rows]


async def save(conn: AsyncConnection, state: MonitorState) -> None:
    values = {
        "name": state.name,
        "kind": state.kind,
        "last_run_at": state.last_run,
        "last_success_at": state.last_success,
        "last_error": state.last_error,
        "last_error_at": state.last_error_at,
        "next_run_at": state.next_run,
        "consecutive_failures": state.consecutive_failures,
        "cursor": state.cursor,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(monitor_state).values(values)
    changed = {k: v for k, v in values.items() if k != "name"}
    await conn.execute(stmt.on_conflict_do_update(index_elements=[monitor_state.c.name], set_=changed))


async def take_lease(conn: AsyncConnection, name: str, owner: str, now: datetime, until: datetime) -> bool:
    """Own `name` until `until` if nobody else holds an unexpired lease on it; True when we own it.

    Renewing one's own lease is the same call. On PostgreSQL a concurrent taker re-checks the row
    after our commit (READ COMMITTED), finds it unexpired and owned by us, and gets False.
    """
    renewed = await conn.execute(
        update(lease)
        .where(and_(lease.c.name == name, or_(lease.c.owner == owner, lease.c.expires_at <= now)))
        .values(owner=owner, expires_at=until)
    )
    if renewed.rowcount == 1:
        return True
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    inserted = await conn.execute(
        dialect.insert(lease).values(name=name, owner=owner, expires_at=until).on_conflict_do_nothing()
    )
    return inserted.rowcount == 1


async def release_lease(conn: AsyncConnection, name: str, owner: str) -> None:
    await conn.execute(delete(lease).where(and_(lease.c.name == name, lease.c.owner == owner)))


def _to_state(row: Row[Any]) -> MonitorState:
    m = row._mapping
    cursor = m["cursor"]
    return MonitorState(
        name=m["name"],
        kind=m["kind"],
        last_run=m["last_run_at"],
        last_success=m["last_success_at"],
        last_error=m["last_error"],
        last_error_at=m["last_error_at"],
        next_run=m["next_run_at"],
        consecutive_failures=m["consecutive_failures"],
        cursor=cursor if isinstance(cursor, list) else [],
    )
