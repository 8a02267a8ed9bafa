"""What every subcommand shares: the `--config` option, loading the configuration or exiting with every
problem listed, and opening its database. Subcommands import this, never `cli.main`, so the command tree
has no cycle."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.engine import make_url

from alerthub.config.loader import config_file
from alerthub.config.models import Config
from alerthub.errors import ConfigError, InputError
from alerthub.hub import load_config
from alerthub.store.database import Database
from alerthub.store.instance_lock import sqlite_file
from alerthub.store.migrate import current_revision, upgrade

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML file (default: $ALERTHUB_CONFIG, ./alerthub.yaml)")
]


def load_or_exit(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        typer.echo("configuration is invalid:", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None


def sources_line(path: Path | None, cfg: Config) -> str:
    """Which configuration and database a command used, for stderr: running from another directory must
    not silently mean another hub."""
    found = config_file(path)
    shown = str(found.resolve()) if found else "none (environment variables only)"
    database = make_url(cfg.storage.url).render_as_string(hide_password=True)
    return f"alerthub: config {shown}; database {database}"


async def open_database(cfg: Config, path: Path | None, *, create: bool = False, quiet: bool = False) -> Database:
    """The configured database, migrated to the latest schema. Only `serve` and `db upgrade` may create
    one: anywhere else a missing database means the wrong file or directory, and is an error."""
    if not quiet:
        typer.echo(sources_line(path, cfg), err=True)
    file = sqlite_file(cfg.storage.url)
    if not create and file is not None and not file.exists():
        _no_database(str(file))
    db = Database(cfg.storage.url)
    if not create and file is None and await current_revision(db) is None:
        await db.dispose()
        _no_database(make_url(cfg.storage.url).render_as_string(hide_password=True))
    await upgrade(db)
    return db


def _no_database(where: str) -> None:
    typer.echo(
        f"alerthub: no alerthub database at {where}. Point --config (or ALERTHUB_CONFIG) at the running hub's"
        " file, or create the database with `alerthub db upgrade`.",
        err=True,
    )
    raise typer.Exit(1)


S = TypeVar("S")
T = TypeVar("T")


def with_service(path: Path | None, make: Callable[[Config, Database], S], work: Callable[[S], Awaitable[T]]) -> T:
    """Load the configuration, open its database, run `work` on the service `make` builds; a bad input
    exits 1 with its problems."""
    cfg = load_or_exit(path)

    async def run() -> T:
        db = await open_database(cfg, path)
        try:
            return await work(make(cfg, db))
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except InputError as exc:
        typer.echo(f"alerthub: {exc.message}", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
