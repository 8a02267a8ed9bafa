"""The `heartbeat` table: one row per dead man's switch (configured, created by a first ping, or a
webhook source with `expect_every`), holding its promise and its last ping."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.heartbeat import Heartbeat
from alerthub.store.tables import heartbeat


async def get(conn: AsyncConnection, name: str) -> Heartbeat | None:
    row = (await conn.execute(select(heartbeat).where(heartbeat.c.name == name))).first()
    return _heartbeat(row) if row else None


async def list_all(conn: AsyncConnection) -> list[Heartbeat]:
    rows = (await conn.execute(select(heartbeat).order_by(heartbeat.c.name))).all()
    return [_heartbeat(r) for r in rows]


async def define(conn: AsyncConnection, beat: Heartbeat, now: datetime, *, ping: bool = False) -> Heartbeat:
    """Insert or update the promise (interval, grace, labels); with `ping`, also record a ping at `now`.
    `created_at` and, without `ping`, `last_ping_at` are kept as they are."""
    values: dict[str, Any] = {
        "name": beat.name,
        "expect_every_s": beat.expect_every.total_seconds(),
        "grace_s": beat.grace.total_seconds(),
        "labels": beat.labels,
        "created_at": now,
        "last_ping_at": now if ping else None,
    }
    changed = ["expect_every_s", "grace_s", "labels"] + (["last_ping_at"] if ping else [])
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(heartbeat).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[heartbeat.c.name], set_={name: stmt.excluded[name] for name in changed}
    )
    await conn.execute(stmt)
    saved = await get(conn, beat.name)
    assert saved is not None
    return saved


async def delete_one(conn: AsyncConnection, name: str) -> bool:
    result = await conn.execute(delete(heartbeat).where(heartbeat.c.name == name))
    return bool(result.rowcount)


def _heartbeat(row: Row[Any]) -> Heartbeat:
    m = row._mapping
    return Heartbeat(
        name=m["name"],
        expect_every=timedelta(seconds=m["expect_every_s"]),
        grace=timedelta(seconds=m["grace_s"]),
        labels=m["labels"] or {},
        last_ping_at=m["last_ping_at"],
        created_at=m["created_at"],
    )
