"""The migrations build exactly the schema the code declares, on both back ends."""

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from alerthub.store.database import Database
from alerthub.store.migrate import current_revision, head_revision, upgrade
from alerthub.store.tables import metadata


def _diff(sync_conn: Any) -> list[Any]:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_metadata(db: Database) -> None:
    async with db.read() as conn:
        differences = await conn.run_sync(_diff)
    assert differences == []


async def test_upgrade_is_idempotent_and_reaches_head(db: Database) -> None:
    await upgrade(db)
    assert await current_revision(db) == head_revision()


async def test_sqlite_files_give_freed_pages_back_incrementally(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL reuses the space of deleted rows itself (autovacuum)")
    async with db.read() as conn:
        assert (await conn.exec_driver_sql("PRAGMA auto_vacuum")).scalar_one() == 2, "INCREMENTAL (migration 0004)"
