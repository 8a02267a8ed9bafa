"""Browser sessions: one row per login, found by the SHA-256 of the cookie's random session id (the id
itself is never stored). Reading a session joins its user, so a removed user's session finds nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.tables import app_user, user_session


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id_hash: str
    user_name: str
    is_admin: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


async def create(conn: AsyncConnection, id_hash: str, user_name: str, now: datetime, expires_at: datetime) -> bool:
    """False when the user does not exist (removed since the password was checked)."""
    user_id = (await conn.execute(select(app_user.c.id).where(app_user.c.name == user_name))).scalar_one_or_none()
    if user_id is None:
        return False
    await conn.execute(
        insert(user_session).values(
            id_hash=id_hash, user_id=user_id, created_at=now, last_seen_at=now, expires_at=expires_at
        )
    )
    return True


async def get(conn: AsyncConnection, id_hash: str) -> SessionRecord | None:
    query = (
        select(user_session, app_user.c.name, app_user.c.is_admin)
        .join(app_user, app_user.c.id == user_session.c.user_id)
        .where(user_session.c.id_hash == id_hash)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return SessionRecord(
        row.id_hash, row.name, row.is_admin, row.created_at, row.last_seen_at, row.expires_at, row.revoked_at
    )


async def touch(conn: AsyncConnection, id_hash: str, now: datetime, seen_before: datetime) -> None:
    """Record activity, unless another request (or instance) already did since `seen_before`."""
    await conn.execute(
        update(user_session)
        .where(user_session.c.id_hash == id_hash, user_session.c.last_seen_at < seen_before)
        .values(last_seen_at=now)
    )


async def revoke(conn: AsyncConnection, id_hash: str, now: datetime) -> bool:
    result = await conn.execute(
        update(user_session)
        .where(user_session.c.id_hash == id_hash, user_session.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount > 0


async def remove_for_user(conn: AsyncConnection, user_name: str) -> int:
    user_ids = select(app_user.c.id).where(app_user.c.name == user_name).scalar_subquery()
    return (await conn.execute(delete(user_session).where(user_session.c.user_id == user_ids))).rowcount


async def prune(conn: AsyncConnection, now: datetime, idle_before: datetime) -> int:
    """Forget sessions that can no longer be used: past their absolute or idle expiry, or logged out."""
    gone = or_(
        user_session.c.expires_at <= now,
        user_session.c.last_seen_at < idle_before,
        user_session.c.revoked_at.is_not(None),
    )
    return (await conn.execute(delete(user_session).where(gone))).rowcount
