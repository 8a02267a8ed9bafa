"""Alembic, driven from code: `serve` and `alerthub db upgrade` both call `upgrade`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(db: Database) -> None:
    # env.py runs its own event loop; a worker thread keeps it off ours.
    await asyncio.to_thread(command.upgrade, alembic_config(db.url), "head")


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(db: Database) -> str | None:
    async with db.read() as conn:
        return await conn.run_sync(_current)


def _current(sync_conn: object) -> str | None:
    return MigrationContext.configure(sync_conn).get_current_revision()  # type: ignore[arg-type]


async def is_current(db: Database) -> bool:
    return await current_revision(db) == head_revision()


__all__ = ["AsyncConnection", "alembic_config", "current_revision", "head_revision", "is_current", "upgrade"]
