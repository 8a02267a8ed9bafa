"""Named values generated once per database (the server secret that signs sessions and action links)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.config.models import AuthConfig
from alerthub.store.database import Database
from alerthub.store.tables import app_setting

SERVER_SECRET = "session_secret"  # noqa: S105 - the name of the stored setting, kept from when only sessions used it


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


async def server_secret(db: Database, auth: AuthConfig, now: datetime) -> str:
    """`auth.session_secret` when set, else one generated once and stored, so every instance (API and
    worker alike) signs the same way."""
    if auth.session_secret is not None:
        return auth.session_secret.get_secret_value()
    async with db.write() as conn:
        return await get_or_create(conn, SERVER_SECRET, lambda: secrets.token_urlsafe(48), now)
