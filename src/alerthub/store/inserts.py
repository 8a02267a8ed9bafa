"""Inserts that need the dialect's own statement (`ON CONFLICT`): one way to build them for every table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def insert_new(
    conn: AsyncConnection, table: Table, rows: dict[str, Any] | Sequence[dict[str, Any]], key: Sequence[str]
) -> int:
    """Inserts the rows whose `key` columns are not there yet; how many were (on PostgreSQL a concurrent
    transaction inserting the same key waits for this one, then inserts nothing)."""
    statement = dialect_insert(conn, table).on_conflict_do_nothing(index_elements=list(key))
    return max((await conn.execute(statement, rows)).rowcount, 0)
