"""Schedule overrides: someone on call in a schedule's place for a while. Rows that have ended are kept
out of every answer (they change nothing any more); the table stays tiny."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.oncall import Override
from alerthub.store.tables import schedule_override as table


async def add(
    conn: AsyncConnection, schedule: str, person: str, span: tuple[datetime, datetime], by: str, now: datetime
) -> Override:
    override = Override(0, schedule, person, span[0], span[1], by, now)
    values = {"schedule": schedule, "person": person, "starts_at": span[0], "ends_at": span[1]}
    values |= {"created_by": by, "created_at": now}
    new_id = (await conn.execute(insert(table).values(**values).returning(table.c.id))).scalar_one()
    return replace(override, id=int(new_id))


async def not_ended(conn: AsyncConnection, now: datetime, schedule: str | None = None) -> list[Override]:
    """Current and coming overrides (of one schedule, or all), soonest first."""
    query = select(table).where(table.c.ends_at > now)
    if schedule is not None:
        query = query.where(table.c.schedule == schedule)
    query = query.order_by(table.c.starts_at, table.c.id)
    return [_override(row) for row in (await conn.execute(query)).all()]


async def remove(conn: AsyncConnection, schedule: str, override_id: int) -> Override | None:
    where = (table.c.id == override_id) & (table.c.schedule == schedule)
    row = (await conn.execute(select(table).where(where))).first()
    if row is None:
        return None
    await conn.execute(delete(table).where(where))
    return _override(row)


def _override(row: Any) -> Override:
    m = row._mapping
    return Override(
        id=int(m["id"]),
        schedule=m["schedule"],
        person=m["person"],
        starts_at=m["starts_at"],
        ends_at=m["ends_at"],
        created_by=m["created_by"],
        created_at=m["created_at"],
    )
