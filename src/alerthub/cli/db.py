"""`alerthub db ...`: the schema (`upgrade`), retention at once (`prune`), and a copy of a running
SQLite hub (`backup`)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.engine import URL, make_url

from alerthub.cli.common import ConfigOption, load_or_exit, open_database, sources_line
from alerthub.config.models import Config
from alerthub.domain.retention import Cutoffs, PruneCounts
from alerthub.services.retention import BATCH_SIZE, LeaseHeldError, Pruner
from alerthub.store.database import Database

db_app = typer.Typer(no_args_is_help=True, help="Database: schema, retention and backups.")

T = TypeVar("T")


def _with_database(
    cfg: Config, path: Path | None, work: Callable[[Database], Awaitable[T]], *, create: bool = False
) -> T:
    async def run() -> T:
        db = await open_database(cfg, path, create=create)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply every pending migration."""
    from alerthub.store.migrate import current_revision

    revision = _with_database(load_or_exit(config), config, current_revision, create=True)
    typer.echo(f"database at revision {revision}")


@db_app.command("prune")
def db_prune(
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be deleted; delete nothing")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="rows per transaction")] = BATCH_SIZE,
) -> None:
    """Delete what storage.retention says has been kept long enough, now, in small transactions."""
    from alerthub.domain.clock import utc_now

    cfg = load_or_exit(config)

    async def run(db: Database) -> tuple[Cutoffs, PruneCounts]:
        pruner = Pruner(db, utc_now, cfg.storage.retention, batch_size=batch_size)
        limits = pruner.cutoffs()
        # Counting first takes a while on a large database: only for a dry run, or a bar to fill.
        expected = await pruner.preview() if dry_run or sys.stdout.isatty() else PruneCounts()
        if dry_run:
            return limits, expected
        done = [0]
        with _progress("pruning") as show:

            def heard(counts: PruneCounts) -> None:
                done[0] += _rows(counts)
                show(done[0], max(done[0], _rows(expected)))

            return limits, await pruner.prune(progress=heard)

    try:
        limits, counts = _with_database(cfg, config, run)
    except LeaseHeldError as exc:
        typer.echo(f"alerthub: {exc}; try again when it is done", err=True)
        raise typer.Exit(1) from None
    _summary(limits, counts, dry_run=dry_run)


def _rows(counts: PruneCounts) -> int:
    """What the progress bar counts: the rows each batch is sized by."""
    return counts.alerts + counts.notifications + counts.silences + counts.signals


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """Rich's progress bar (done, total) on a terminal; nothing when the output is piped or captured."""
    if not sys.stdout.isatty():
        yield lambda _done, _total: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _summary(limits: Cutoffs, counts: PruneCounts, *, dry_run: bool) -> None:
    verb = "would delete" if dry_run else "deleted"

    def at(when: object) -> str:
        return f"{when:%Y-%m-%d %H:%M} UTC"

    typer.echo(f"{verb} (dry run, nothing was deleted):" if dry_run else f"{verb}:")
    typer.echo(
        f"  {counts.alerts} alerts resolved before {at(limits.resolved)}, with {counts.events} history events "
        f"and {counts.memberships} group memberships"
    )
    typer.echo(
        f"  {counts.notifications} delivered notifications from before {at(limits.notifications)} "
        "or about those alerts only"
    )
    typer.echo(f"  {counts.silences} silences expired before {at(limits.silences)}")
    typer.echo(f"  {counts.signals} logged signals received before {at(limits.signals)}")


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="the file to write the copy to")],
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite PATH if it exists")] = False,
) -> None:
    """A consistent copy of the SQLite database, taken while the hub runs (restore: point storage.url at it)."""
    from alerthub.store.backup import BackupTargetError, backup_sqlite
    from alerthub.store.instance_lock import sqlite_file

    cfg = load_or_exit(config)
    typer.echo(sources_line(config, cfg), err=True)
    url = make_url(cfg.storage.url)
    if url.get_backend_name() == "postgresql":
        plain = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
        typer.echo("alerthub db backup copies SQLite databases; on PostgreSQL use pg_dump (password in PGPASSWORD):")
        typer.echo(f"  pg_dump --format=custom --file {path} '{plain.render_as_string(hide_password=False)}'")
        raise typer.Exit(1)
    source = sqlite_file(cfg.storage.url)
    if source is None or not source.exists():
        typer.echo(f"alerthub: no SQLite database file at {cfg.storage.url}", err=True)
        raise typer.Exit(1)
    with _progress("copying") as progress:
        try:
            pages = backup_sqlite(source, path, force=force, progress=progress)
        except BackupTargetError as exc:
            typer.echo(f"alerthub: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"backed up {source} to {path} ({pages} pages, {path.stat().st_size / 1e6:.1f} MB)")
