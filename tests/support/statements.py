"""Every statement a database is sent while a block runs. On the SQLite writer the bulk path hands its
statements to the sqlite3 connection itself (store/bulk.py), past SQLAlchemy's events, so there the
connection's own trace is read; elsewhere SQLAlchemy's `before_cursor_execute`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from alerthub.store.database import Database


@contextmanager
def statements_sent(db: Database) -> Iterator[list[str]]:
    sent: list[str] = []
    traced: list[sqlite3.Connection] = []
    engine = db.engine.sync_engine

    def cursor(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    def checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
        dbapi.set_trace_callback(sent.append)
        traced.append(dbapi)

    sqlite = db.dialect == "sqlite"
    event.listen(engine, "checkout" if sqlite else "before_cursor_execute", checkout if sqlite else cursor)
    try:
        yield sent
    finally:
        event.remove(engine, "checkout" if sqlite else "before_cursor_execute", checkout if sqlite else cursor)
        for connection in traced:
            connection.set_trace_callback(None)
