"""Named values generated once per database (the session-signing secret)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.tables import app_setting


async def get_or_create(conn: AsyncConnection, name: str, make: Callable[[], str], now: datetime) -> str:
    """The stored value, or `make()` stored first. Two instances racing both read the winner's value."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(
        insert(app_setting)
        .values(name=name, value=make(), created_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    value: str = (await conn.execute(select(app_setting.c.value).where(app_setting.c.name == name))).scalar_one()
    return value
