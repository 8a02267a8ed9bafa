"""Both back ends for one parametrised fixture: SQLite in a temporary file, PostgreSQL in a
database created for this test session (so the shared `test` database is left alone)."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import NoReturn

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from alerthub.store.database import Database, async_url
from alerthub.store.migrate import upgrade
from alerthub.store.tables import metadata

POSTGRES_ENV = "ALERTHUB_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def skip_or_fail_without_postgres() -> NoReturn:
    """Locally a missing server skips; in CI (`ALERTHUB_REQUIRE_POSTGRES=1`) the PostgreSQL half must run."""
    if os.environ.get("ALERTHUB_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{POSTGRES_ENV} is not set but ALERTHUB_REQUIRE_POSTGRES=1: the PostgreSQL tests must run")
    pytest.skip(f"{POSTGRES_ENV} is not set (CI sets it)")


def create_session_database(base_url: str) -> str:
    """CREATE DATABASE alerthub_test_<random>, migrated to head; returns its URL."""
    name = f"alerthub_test_{uuid.uuid4().hex[:10]}"
    admin = async_url(base_url)

    async def run() -> str:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        db = Database(url)
        await upgrade(db)
        await db.dispose()
        return url

    return asyncio.run(run())


def drop_session_database(base_url: str, url: str) -> None:
    name = make_url(url).database

    async def run() -> None:
        engine = create_async_engine(async_url(base_url), isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    asyncio.run(run())


async def truncate_all(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with db.write() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
