"""The marks that handoff messages went out: one row per (schedule, shift start, person), written in the
transaction that queues the message, so a second instance or a restart finds it sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.inserts import insert_new
from alerthub.store.oncall_tables import handoff

HANDOFF = "handoff"  # the kind of the message to a person coming on call


async def first_handoff(conn: AsyncConnection, schedule: str, starts_at: datetime, person: str, now: datetime) -> bool:
    """Marks the person's handoff message for the shift starting at `starts_at` sent; False when it was
    already (on PostgreSQL a concurrent transaction marking it too waits for this one, then finds it)."""
    values = {"schedule": schedule, "starts_at": starts_at, "person": person, "sent_at": now}
    return await insert_new(conn, handoff, values, ["schedule", "starts_at", "person"]) == 1


async def forget_before(conn: AsyncConnection, cutoff: datetime) -> int:
    """Drops the marks of shifts that started before `cutoff` (no longer looked at); how many went."""
    result = await conn.execute(delete(handoff).where(handoff.c.starts_at < cutoff))
    return int(result.rowcount or 0)
