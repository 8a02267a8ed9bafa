"""API tokens: only a SHA-256 of each token is stored; the token itself is shown once, at creation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.tables import api_token


@dataclass(frozen=True, slots=True)
class TokenRecord:
    name: str
    scope: str
    token_hash: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


async def create(conn: AsyncConnection, name: str, scope: str, token_hash: str, now: datetime) -> bool:
    """False when an active token already has this name. A revoked token's name may be reused."""
    existing = (await conn.execute(select(api_token.c.revoked_at).where(api_token.c.name == name))).first()
    if existing is not None:
        if existing.revoked_at is None:
            return False
        await conn.execute(delete(api_token).where(api_token.c.name == name))
    # In a savepoint: two processes creating the same name at once (replicas seeding the first admin)
    # both pass the check above; the loser's unique violation must not abort its whole transaction.
    try:
        async with conn.begin_nested():
            await conn.execute(insert(api_token).values(name=name, scope=scope, token_hash=token_hash, created_at=now))
    except IntegrityError:
        return False
    return True


async def revoke(conn: AsyncConnection, name: str, now: datetime) -> bool:
    result = await conn.execute(
        update(api_token).where(api_token.c.name == name, api_token.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return result.rowcount > 0


async def list_all(conn: AsyncConnection) -> list[TokenRecord]:
    rows = (await conn.execute(select(api_token).order_by(api_token.c.name))).all()
    return [TokenRecord(r.name, r.scope, r.token_hash, r.created_at, r.last_used_at, r.revoked_at) for r in rows]


async def active(conn: AsyncConnection) -> list[TokenRecord]:
    return [t for t in await list_all(conn) if t.revoked_at is None]


async def count_active(conn: AsyncConnection) -> int:
    query = select(func.count()).select_from(api_token).where(api_token.c.revoked_at.is_(None))
    return int((await conn.execute(query)).scalar_one())


async def touch(conn: AsyncConnection, used: dict[str, datetime]) -> None:
    """Record when tokens were last used, in one batch (the request path never writes)."""
    for name, at in used.items():
        await conn.execute(update(api_token).where(api_token.c.name == name).values(last_used_at=at))
