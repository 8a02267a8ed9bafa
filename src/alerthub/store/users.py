"""Dashboard users. Passwords are stored only as KDF hashes (see services/auth.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.tables import app_user


@dataclass(frozen=True, slots=True)
class UserRecord:
    name: str
    password_hash: str
    is_admin: bool
    created_at: datetime


async def add(conn: AsyncConnection, name: str, password_hash: str, is_admin: bool, now: datetime) -> bool:
    """False when the name is taken."""
    if await get(conn, name) is not None:
        return False
    try:
        await conn.execute(
            insert(app_user).values(name=name, password_hash=password_hash, is_admin=is_admin, created_at=now)
        )
    except IntegrityError:
        return False
    return True


async def get(conn: AsyncConnection, name: str) -> UserRecord | None:
    row = (await conn.execute(select(app_user).where(app_user.c.name == name))).first()
    return UserRecord(row.name, row.password_hash, row.is_admin, row.created_at) if row else None


async def list_all(conn: AsyncConnection) -> list[UserRecord]:
    rows = (await conn.execute(select(app_user).order_by(app_user.c.name))).all()
    return [UserRecord(r.name, r.password_hash, r.is_admin, r.created_at) for r in rows]


async def remove(conn: AsyncConnection, name: str) -> bool:
    return (await conn.execute(delete(app_user).where(app_user.c.name == name))).rowcount > 0


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(app_user))).scalar_one())
