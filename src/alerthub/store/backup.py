"""A consistent copy of a SQLite hub's database while the hub keeps running (`alerthub db backup`).

SQLite's online backup API copies the file page by page from a connection of its own. Left to itself it
restarts from the first page whenever another connection writes between two steps, and a busy hub
writes all the time: a copy of a few megabytes took thousands of restarts. Holding one read transaction
on the source connection for the whole copy pins a single snapshot instead: every step reads from it,
nothing restarts, and in WAL mode the hub's writers never wait on a reader. The price is that the WAL
cannot be checkpointed past that snapshot while the copy runs, so it grows for that long.

The copy is written beside the target and renamed into place when complete, so an interrupted backup
never leaves a half-written file under the name asked for.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

PAGES_PER_STEP = 1024

# (pages copied so far, pages in all)
BackupProgress = Callable[[int, int], None]


class BackupTargetError(Exception):
    """The target exists (and `force` was not given), or is the database itself."""


def backup_sqlite(
    source: Path,
    target: Path,
    *,
    force: bool = False,
    pages: int = PAGES_PER_STEP,
    progress: BackupProgress | None = None,
) -> int:
    """Copy the SQLite database `source` to `target`; returns the number of pages copied."""
    if target.resolve() == source.resolve():
        raise BackupTargetError(f"{target} is the database itself")
    if target.exists() and not force:
        raise BackupTargetError(f"{target} exists (give --force to overwrite it)")
    partial = target.with_name(target.name + ".partial")
    _remove(partial)
    src = sqlite3.connect(source, isolation_level=None)
    try:
        src.execute("PRAGMA busy_timeout=10000")
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here
        dst = sqlite3.connect(partial)
        try:
            copied = _copy(src, dst, pages, progress)
            # One self-contained file: the hub switches it back to WAL when it opens it.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
        src.execute("COMMIT")
    finally:
        src.close()
    if force:
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            _remove(leftover)  # an old database's log must not be replayed into the copy
    os.replace(partial, target)
    _sync_directory(target.parent)
    return copied


def _copy(src: sqlite3.Connection, dst: sqlite3.Connection, pages: int, progress: BackupProgress | None) -> int:
    total = [0]

    def step(_status: int, remaining: int, count: int) -> None:
        total[0] = count
        if progress is not None:
            progress(count - remaining, count)

    src.backup(dst, pages=pages, progress=step)
    return total[0]


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
