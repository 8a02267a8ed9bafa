"""Bulk inserts and updates on the ingest path, past SQLAlchemy Core's per-row parameter processing.

Core passes every value of every row through `construct_params` and the column type's bind processor,
one call each: at 100 alerts per request that was about a quarter of the writer's time (bench/NOTES.md).
Here each value goes through one converter chosen per column up front: a UTC datetime becomes SQLite's
DATETIME text (`types.sqlite_datetime_text`, Core's own format) or stays as it is for asyncpg, a JSON
value becomes its text (the engine's own serializer; None is JSON `null`, as Core's JSON type stores it).
SQLite takes a multi-row `INSERT ... VALUES (?, ...), (...)` per chunk; PostgreSQL one array per column
through `INSERT ... SELECT * FROM unnest($1::type[], ...)`, the same statement text (so prepared once per
connection) for any number of rows. tests/store/test_bulk.py reads what it wrote back through Core.

On the SQLite writer (store/sqlite_inline.py) the statement goes to the sqlite3 connection itself, in the
transaction SQLAlchemy began on it: what SQLAlchemy would call, without its execution context, result
set-up and greenlet hop around each statement, which cost more than SQLite's own work on a small
transaction (bench/NOTES.md). Errors are SQLAlchemy's, as they would have been; where anything listens
to the engine's statements, they go through SQLAlchemy, so that it sees each one.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.database import json_text
from alerthub.store.types import UtcDateTime, sqlite_datetime_text

# Both SQLite (32,766 since 3.32) and PostgreSQL (32,767) refuse more bound values in one statement.
MAX_PARAMETERS = 32_000

Convert = Callable[[Any], Any]


async def insert_rows(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str] = (),
    skip_conflicts: bool = False,
) -> list[Any]:
    """Insert `rows` (all with the same keys, columns of `table`); with `skip_conflicts`, rows that would
    break a unique key are left out (`ON CONFLICT DO NOTHING`). The rows inserted, when `returning` is
    asked for: each with those columns as attributes."""
    if not rows:
        return []
    dialect = conn.dialect.name
    columns = tuple(rows[0])
    converters = _converters(table, columns, dialect)
    if dialect == "postgresql":
        sql = _unnest_statement(table, columns, tuple(returning), skip_conflicts)
        result = await conn.exec_driver_sql(sql, _column_arrays(rows, converters))
        return list(result.all()) if returning else []
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    driver = _sqlite_writer(conn)
    out: list[Any] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = tuple(convert(row[name]) for row in chunk for name, convert in converters)
        sql = _statement(table.name, columns, len(chunk), tuple(returning), skip_conflicts)
        if driver is None:
            result = await conn.exec_driver_sql(sql, values)
            out += result.all() if returning else []
        elif returning:
            made = _returned(tuple(returning))
            out += [made._make(r) for r in _on_sqlite(driver, sql, values).fetchall()]
        else:
            _on_sqlite(driver, sql, values)
    return out


async def update_rows(conn: AsyncConnection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set, in each row of `table` whose `key` column equals a row's `key` value, that row's other values
    (all rows with the same keys)."""
    if not rows:
        return
    dialect = conn.dialect.name
    columns = tuple(rows[0])
    converters = _converters(table, columns, dialect)
    if dialect == "postgresql":
        await conn.exec_driver_sql(_unnest_update(table, key, columns), _column_arrays(rows, converters))
        return
    ordered = (*(c for c in converters if c[0] != key), *(c for c in converters if c[0] == key))
    values = [tuple(convert(row[name]) for name, convert in ordered) for row in rows]
    sql = _update_statement(table.name, key, tuple(name for name, _ in ordered))
    driver = _sqlite_writer(conn)
    if driver is None:
        await conn.exec_driver_sql(sql, values)
    else:
        _on_sqlite(driver, sql, values, many=True)


def _sqlite_writer(conn: AsyncConnection) -> sqlite3.Connection | None:
    """The sqlite3 connection under `conn` when it is the inline writer's, in a transaction SQLAlchemy
    has begun, and nobody listens to the engine's statements; None otherwise (PostgreSQL, aiosqlite's
    threaded connections, one being replaced, a statement listener such as tracing or a test counting
    statements, which must see every one), where the statement goes through SQLAlchemy."""
    proxied = conn.sync_connection
    if proxied is None or proxied.invalidated or proxied.closed or not proxied.in_transaction():
        return None
    if proxied.dispatch.before_cursor_execute or proxied.dispatch.after_cursor_execute:
        return None
    driver = proxied.connection.driver_connection
    return driver if isinstance(driver, sqlite3.Connection) else None


def _on_sqlite(driver: sqlite3.Connection, sql: str, values: Any, *, many: bool = False) -> sqlite3.Cursor:
    """Run on the writer's sqlite3 connection; its errors raised as SQLAlchemy raises them (IntegrityError,
    OperationalError), so callers and the 503 mapping (store/database.py) see no difference."""
    try:
        return driver.executemany(sql, values) if many else driver.execute(sql, values)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc


@lru_cache(maxsize=64)
def _returned(columns: tuple[str, ...]) -> Any:
    """The row type of a RETURNING on the SQLite writer: its columns as attributes, as a Core row has."""
    return namedtuple("Returned", columns)


@lru_cache(maxsize=256)
def _update_statement(table: str, key: str, columns: tuple[str, ...]) -> str:
    """SQLite, run once per row (executemany): the set columns, then the key last."""
    assignments = ", ".join(f'"{c}" = ?' for c in columns if c != key)
    return f'UPDATE "{table}" SET {assignments} WHERE "{key}" = ?'  # noqa: S608 - the Table's own names


def _column_arrays(rows: Sequence[Mapping[str, Any]], converters: tuple[tuple[str, Convert], ...]) -> tuple[Any, ...]:
    """PostgreSQL's parameters for `unnest`: one array per column."""
    return tuple([convert(row[name]) for row in rows] for name, convert in converters)


def _arrays(table: Table, columns: tuple[str, ...]) -> str:
    """`$1::type[], ...`: each column's array parameter, in PostgreSQL's words for its type."""
    return ", ".join(f"${i + 1}::{table.c[c].type.compile(dialect=_PG)}[]" for i, c in enumerate(columns))


@lru_cache(maxsize=256)
def _unnest_update(table: Table, key: str, columns: tuple[str, ...]) -> str:
    arrays = _arrays(table, columns)
    assignments = ", ".join(f'"{c}" = v."{c}"' for c in columns if c != key)
    return (
        f'UPDATE "{table.name}" AS t SET {assignments} '  # noqa: S608 - the Table's own names
        f'FROM unnest({arrays}) AS v({_names(columns)}) WHERE t."{key}" = v."{key}"'
    )


@lru_cache(maxsize=256)
def _converters(table: Table, columns: tuple[str, ...], dialect: str) -> tuple[tuple[str, Convert], ...]:
    return tuple((name, _converter(table, name, dialect)) for name in columns)


def _converter(table: Table, name: str, dialect: str) -> Convert:
    kind = table.c[name].type
    if isinstance(kind, UtcDateTime):
        return sqlite_datetime_text if dialect == "sqlite" else _aware
    if isinstance(kind, JSON):
        return json_text
    return _same


def _same(value: Any) -> Any:
    return value


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use timezone-aware UTC")
    return value


@lru_cache(maxsize=512)
def _statement(
    table: str, columns: tuple[str, ...], count: int, returning: tuple[str, ...], skip_conflicts: bool
) -> str:
    """SQLite: `count` rows of `?` placeholders."""
    row = "(" + ", ".join("?" * len(columns)) + ")"
    # Names are the Table's own (`_converters` looked each up in it); every value is bound.
    sql = f'INSERT INTO "{table}" ({_names(columns)}) VALUES {", ".join([row] * count)}'  # noqa: S608
    return sql + _tail(returning, skip_conflicts)


@lru_cache(maxsize=256)
def _unnest_statement(table: Table, columns: tuple[str, ...], returning: tuple[str, ...], skip_conflicts: bool) -> str:
    """PostgreSQL: one array per column, so one statement text (prepared once per connection) for any
    number of rows, and no limit on bound values."""
    sql = f'INSERT INTO "{table.name}" ({_names(columns)}) SELECT * FROM unnest({_arrays(table, columns)})'  # noqa: S608
    return sql + _tail(returning, skip_conflicts)


def _tail(returning: tuple[str, ...], skip_conflicts: bool) -> str:
    conflicts = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    return conflicts + (f" RETURNING {_names(returning)}" if returning else "")


_PG = PGDialect()  # type: ignore[no-untyped-call]  # only to spell column types in PostgreSQL's words


def _names(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in columns)
