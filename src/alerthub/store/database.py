from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_

from alerthub.errors import StoreUnavailableError
from alerthub.store import sqlite_inline
from alerthub.store.sqlite_checkpoint import CHECKPOINT_EVERY, WalCheckpointer

logger = logging.getLogger(__name__)


def async_url(url: str) -> str:
    """Accept the URLs people write (`sqlite:///x.db`, `postgresql://...`) and pick the async driver."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """The engine plus the one rule that matters for SQLite: a single writer at a time.

    SQLite allows one writer; serialising writers in-process means no transaction ever waits on
    `database is locked`, and readers keep going in parallel thanks to WAL.
    """

    def __init__(self, url: str, *, echo: bool = False, checkpoint_every: float = CHECKPOINT_EVERY) -> None:
        self.url = async_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self._prepare_sqlite_dir()
        # orjson for the JSON columns (labels, annotations, raw payloads), which every ingest writes:
        # the same JSON as the stdlib encoder's, without the optional spaces, for less CPU.
        kwargs: dict[str, Any] = {"echo": echo, "json_serializer": json_text, "json_deserializer": orjson.loads}
        if self.dialect == "postgresql":
            kwargs.update(pool_size=10, max_overflow=10, pool_timeout=10)
            # Our statements are short, where JIT compiling costs more than it saves; its one big cost
            # here was asyncpg's catalogue lookup of unfamiliar types, 9 ms more on each new connection.
            kwargs["connect_args"] = {"server_settings": {"jit": "off"}}
        self.engine: AsyncEngine = create_async_engine(self._writer_url(), **kwargs)
        if self.dialect == "postgresql":
            event.listen(self.engine.sync_engine, "connect", _fresh)
            event.listen(self.engine.sync_engine, "checkout", _ping_on_checkout)
        self._reader = self.engine
        self._checkpointer: WalCheckpointer | None = None
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            if self.engine.url != make_url(self.url):
                # Reads stay on aiosqlite's threads: a long one must not stall the loop.
                self._reader = create_async_engine(self.url, **kwargs)
                event.listen(self._reader.sync_engine, "connect", _sqlite_pragmas)
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        if self._write_lock is not None and self._reader is not self.engine:
            # The inline writer must not checkpoint on the loop thread (store/sqlite_checkpoint.py).
            event.listen(self.engine.sync_engine, "connect", _no_autocheckpoint)
            database = str(make_url(self.url).database)
            self._checkpointer = WalCheckpointer(database, self._write_lock, every=checkpoint_every)

    def _writer_url(self) -> str:
        """SQLite files are written inline on the loop thread (see store/sqlite_inline.py)."""
        parsed = make_url(self.url)
        if self.dialect != "sqlite" or parsed.database in (None, "", ":memory:"):
            return self.url
        sqlite_inline.register()
        return parsed.set(drivername=sqlite_inline.DRIVER).render_as_string(hide_password=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _prepare_sqlite_dir(self) -> None:
        if self.dialect != "sqlite":
            return
        database = make_url(self.url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self._write_lock is None:
            async with _unavailable_as_503(), self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, _unavailable_as_503(), self.engine.begin() as conn:
            yield conn
        if self._checkpointer is not None:
            self._checkpointer.after_commit()

    async def warm(self) -> None:
        """PostgreSQL: open the connections a server under load keeps in use before the first request
        needs them, each at a few round trips (authentication, settings, `_fresh`'s types)."""
        if self.dialect != "postgresql":
            return
        opened = await asyncio.gather(*(self._open() for _ in range(_WARM_CONNECTIONS)), return_exceptions=True)
        for conn in opened:
            if isinstance(conn, AsyncConnection):
                await conn.close()  # back to the pool, open
        failed = [c for c in opened if isinstance(c, BaseException)]
        if failed:  # only a head start: the pool opens them when they are needed
            logger.warning("database connections not opened ahead: %s", failed[0])

    async def _open(self) -> AsyncConnection:
        async with _unavailable_as_503():
            return await self.engine.connect()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with _unavailable_as_503(), self._reader.connect() as conn:
            yield conn

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            await self._checkpointer.close()
        await self.engine.dispose()
        if self._reader is not self.engine:
            await self._reader.dispose()


# SQLSTATEs that say "the server is away or turning connections down", not "the statement is wrong":
# class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now: a restart),
# 53300 (too many connections). asyncpg's errors reach us as a plain DBAPIError carrying the SQLSTATE,
# not as OperationalError, so the class of the exception alone cannot tell.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


@asynccontextmanager
async def _unavailable_as_503() -> AsyncIterator[None]:
    try:
        yield
    except DBAPIError as exc:
        if _is_connection_loss(exc):
            raise StoreUnavailableError(f"database unavailable: {type(exc.orig).__name__}: {exc.orig}") from exc
        raise
    except OSError as exc:  # includes ConnectionRefusedError and TimeoutError from the driver's connect
        raise StoreUnavailableError(f"database unavailable: {exc}") from exc


def _is_connection_loss(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    for error in _causes(exc.orig):
        if isinstance(error, OSError):
            return True
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_SQLSTATES):
            return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    text_ = str(exc.orig).lower()
    markers = ("connect", "closed", "terminat", "shutdown", "refused", "unavailable", "no such host")
    return any(m in text_ for m in markers)


def _causes(error: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    while error is not None and len(chain) < 10:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


_FRESH = "alerthub.fresh"
_WARM_CONNECTIONS = 4
# A server that cannot answer an empty query in this long (a peer gone without a reset) is treated as
# gone: the pool opens a new connection instead of waiting on the old one for TCP to give up.
_PING_TIMEOUT = 5.0


def _fresh(dbapi_connection: Any, record: Any) -> None:
    """A new connection: not pinged at its first checkout, and taught the array types of the store's
    bulk statements (store/bulk.py) at once. asyncpg looks each type up in the catalogue the first time
    a connection meets it, a round trip or two apiece, which the first requests on every new
    connection used to wait for one by one."""
    record.info[_FRESH] = True
    await_(dbapi_connection.driver_connection.prepare(_ARRAY_TYPES))


_ARRAY_TYPES = (
    "SELECT $1::varchar[], $2::text[], $3::jsonb[], $4::timestamptz[], $5::bigint[], $6::integer[],"
    " $7::float8[], $8::boolean[]"
)


def _ping_on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """`pool_pre_ping`'s check in one round trip instead of three: SQLAlchemy's asyncpg ping wraps its
    empty query in a transaction of its own (BEGIN, `;`, ROLLBACK) for pgbouncer's transaction mode,
    which the LISTEN of store/broadcast.py rules out here anyway. A connection the server dropped while
    it sat in the pool (a restart, an administrator) fails the query, and the pool replaces it with a
    new one, which like pre-ping's is not pinged, before the caller's transaction begins."""
    if record.info.pop(_FRESH, False):
        return
    driver = dbapi_connection.driver_connection
    try:
        await_(driver.fetchrow(";", timeout=_PING_TIMEOUT))
    except Exception as exc:  # however an empty query fails (a dead socket, a protocol state), it is unusable
        # Dropped here, not closed by the pool: a close waits for the server to confirm, which a server
        # that stopped answering never does (asyncpg 0.29 with SQLAlchemy 2.1.0 waited for ever).
        driver.terminate()
        raise DisconnectionError(f"pooled connection unusable: {type(exc).__name__}: {exc}") from exc


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # NORMAL under WAL loses nothing when the process dies (even by SIGKILL); only an OS crash or
    # power cut can drop the last transactions. The README states this trade.
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
