"""SQLite called on the event loop's own thread, for the writer.

aiosqlite runs every statement on a helper thread and hands the result back through the event
loop: a write transaction of six statements is six round trips, and each must win the GIL back
from the busy loop thread (up to `sys.getswitchinterval()`, 5 ms, apiece). Under load the hops,
not SQLite, set the pace: the loop sat idle while requests waited for their transaction
(bench/NOTES.md). Writes to a local SQLite file in WAL mode with
`synchronous=NORMAL` take microseconds and never wait on another writer (the `Database` lock
serialises them), so running them inline is cheaper than any hand-off.

The price: a long write blocks the loop for its duration. Writes here are short by design
(bounded batches); reads, which can be long (filters over 100,000 alerts), keep the threaded
aiosqlite engine.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool
from sqlalchemy.util import await_

DRIVER = "sqlite+alerthub_inline"


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """The stock pysqlite dialect, declared async so `create_async_engine` accepts it: SQLAlchemy's
    greenlet bridge runs a driver call that never awaits straight through, on the calling thread."""

    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[Pool]:
        return AsyncAdaptedQueuePool

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        # The pool hands a connection to one task at a time, all on the loop thread; the writer may
        # be created on another thread (migrations), so do not pin connections to their creator.
        kwargs["check_same_thread"] = False
        kwargs["factory"] = _Connection
        return args, kwargs

    # AsyncConnection.execute insists that the driver awaited something; a coroutine that returns at
    # once satisfies it without giving up the loop.
    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        await_(_inline())
        super().do_execute(cursor, statement, parameters, context)  # type: ignore[no-untyped-call]

    def do_executemany(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        await_(_inline())
        super().do_executemany(cursor, statement, parameters, context)  # type: ignore[no-untyped-call]

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        await_(_inline())
        super().do_execute_no_params(cursor, statement, context)  # type: ignore[no-untyped-call]


async def _inline() -> None:
    return None


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """The asyncio result wrapper calls this on async drivers' cursors; rows here are read inline."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


def register() -> None:
    registry.register(DRIVER.split("+", 1)[0] + "." + DRIVER.split("+", 1)[1], __name__, "InlineSQLiteDialect")
