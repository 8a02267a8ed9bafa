"""A pooled PostgreSQL connection the server dropped while it sat in the pool (a restart, an idle
timeout, an administrator) is found dead when it is checked out, and replaced: the caller's transaction
runs on a live one instead of failing with a 503."""

from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import text

from alerthub.store import database
from alerthub.store.database import Database
from support.databases import postgres_url, skip_or_fail_without_postgres

pytestmark = pytest.mark.postgres


async def _backend(db: Database) -> int:
    async with db.write() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_pooled_connection_the_server_dropped_is_replaced_before_the_transaction() -> None:
    url = postgres_url()
    if url is None:
        skip_or_fail_without_postgres()
    db, admin = Database(url), Database(url)
    try:
        first = await _backend(db)
        assert await _backend(db) == first, "the pool keeps its connection between transactions"
        async with admin.write() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        async with db.write() as conn:  # no StoreUnavailableError: the dead connection never reached us
            second = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        assert second != first
        assert await _backend(db) == second
    finally:
        await db.dispose()
        await admin.dispose()


async def test_postgresql_sessions_run_without_jit() -> None:
    """Short statements only: JIT compiling would cost more than it saves, first of all on asyncpg's
    catalogue lookups when a connection is new."""
    url = postgres_url()
    if url is None:
        skip_or_fail_without_postgres()
    db = Database(url)
    try:
        async with db.write() as conn:
            assert (await conn.execute(text("SHOW jit"))).scalar_one() == "off"
    finally:
        await db.dispose()


async def test_warming_opens_pooled_connections_that_later_transactions_reuse() -> None:
    url = postgres_url()
    if url is None:
        skip_or_fail_without_postgres()
    db = Database(url)
    try:
        await db.warm()
        warm = db.engine.sync_engine.pool.checkedin()  # type: ignore[attr-defined]
        assert warm >= 2
        used = {await _backend(db) for _ in range(2 * warm)}
        assert len(used) <= warm, "the transactions took the warm connections, and opened none"
        assert db.engine.sync_engine.pool.checkedin() == warm  # type: ignore[attr-defined]
    finally:
        await db.dispose()


async def test_warming_an_unreachable_database_is_left_to_the_pool() -> None:
    db = Database("postgresql://nobody@127.0.0.1:9/none")
    try:
        await db.warm()  # logs and returns: the server's start does not hinge on it
        assert db.engine.sync_engine.pool.checkedin() == 0  # type: ignore[attr-defined]
    finally:
        await db.dispose()


async def test_a_pooled_connection_whose_server_stopped_answering_is_given_up_after_the_ping_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A backend that neither answers nor resets the connection (a frozen host, a partition): the ping
    gives up on it instead of waiting for TCP, and the transaction runs on a new connection."""
    url = postgres_url()
    if url is None:
        skip_or_fail_without_postgres()
    monkeypatch.setattr(database, "_PING_TIMEOUT", 0.5)
    db, admin = Database(url), Database(url)
    frozen = await _backend(db)
    try:
        os.kill(frozen, signal.SIGSTOP)
    except PermissionError:  # CI runs as root; elsewhere PostgreSQL's processes may not be ours to stop
        await db.dispose()
        await admin.dispose()
        pytest.skip("stopping a PostgreSQL backend needs its owner or root")
    try:
        started = time.monotonic()
        second = await _backend(db)
        assert second != frozen
        assert time.monotonic() - started < 5
    finally:
        os.kill(frozen, signal.SIGCONT)
        async with admin.write() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": frozen})
        await db.dispose()
        await admin.dispose()
