"""Every CLI command that touches a database says which configuration and database it used, and only
`serve` and `db upgrade` create one: run from the wrong directory, a command used to make and fill a
fresh empty `./data/alerthub.db` that the running hub never saw."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from alerthub.store.database import async_url
from support.databases import (
    create_session_database,
    drop_session_database,
    postgres_url,
    skip_or_fail_without_postgres,
)
from support.processes import run_cli, write_config


def hub_config(tmp_path: Path) -> tuple[Path, Path]:
    database = tmp_path / "hub.db"
    return write_config(tmp_path / "alerthub.yaml", {"storage": {"url": f"sqlite:///{database}"}}), database


def test_a_command_refuses_to_create_a_database(tmp_path: Path) -> None:
    config, database = hub_config(tmp_path)
    added = run_cli("silences", "add", "service=api", "-m", "lost", "--config", str(config))
    assert added.returncode == 1 and added.stdout == "", "no silence id printed"
    assert f"no alerthub database at {database}" in added.stderr
    assert "--config" in added.stderr and "alerthub db upgrade" in added.stderr
    assert not database.exists(), "nothing was created"


def test_db_upgrade_creates_it_and_then_commands_work(tmp_path: Path) -> None:
    config, database = hub_config(tmp_path)
    assert run_cli("db", "upgrade", "--config", str(config)).returncode == 0
    assert database.exists()
    listed = run_cli("silences", "list", "--config", str(config))
    assert listed.returncode == 0, listed.stderr


def test_each_command_names_its_configuration_and_database(tmp_path: Path) -> None:
    config, database = hub_config(tmp_path)
    assert run_cli("db", "upgrade", "--config", str(config)).returncode == 0
    for args in (("silences", "list"), ("tokens", "list"), ("users", "list"), ("db", "prune", "--dry-run")):
        done = run_cli(*args, "--config", str(config))
        assert done.returncode == 0, done.stderr
        assert f"alerthub: config {config.resolve()}; database sqlite:///{database}" in done.stderr, args
        assert "alerthub: config" not in done.stdout, "stdout stays for what scripts read"


def test_from_another_directory_with_no_config_it_says_so_and_creates_nothing(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run_cli("silences", "list", cwd=elsewhere)
    assert done.returncode == 1
    assert "alerthub: config none (environment variables only)" in done.stderr
    assert "no alerthub database at" in done.stderr
    assert not (elsewhere / "data").exists()


@pytest.mark.postgres
def test_a_postgresql_database_without_alerthubs_schema_is_refused(tmp_path: Path) -> None:
    base = postgres_url()
    if base is None:
        skip_or_fail_without_postgres()
    url = create_session_database(base)  # migrated; then emptied, as a fresh database
    try:
        asyncio.run(_drop_schema(url))
        config = write_config(tmp_path / "alerthub.yaml", {"storage": {"url": url}})
        done = run_cli("silences", "list", "--config", str(config))
        assert done.returncode == 1 and "no alerthub database at postgresql" in done.stderr
        assert asyncio.run(_tables(url)) == 0, "nothing was created"
    finally:
        drop_session_database(base, url)


async def _drop_schema(url: str) -> None:
    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def _tables(url: str) -> int:
    engine = create_async_engine(async_url(url))
    async with engine.connect() as conn:
        found = await conn.scalar(text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))
    await engine.dispose()
    return int(found or 0)
