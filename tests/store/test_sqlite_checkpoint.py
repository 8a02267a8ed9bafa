"""WAL checkpoints run in a worker thread, never inside a commit on the loop thread, and still keep the
write-ahead log from growing."""

from __future__ import annotations

import math
import time
from pathlib import Path

from sqlalchemy import text

from alerthub.store.database import Database

ROW = "x" * 3000  # most of a 4 KiB page: one new WAL frame per commit
# A checkpoint every 50 ms, not back to back: a checkpoint running reads the log, and while one runs the
# log cannot start again from its beginning, so checkpoints started after every commit left that to
# chance (the tests failed on a loaded machine). Production's is once a second.
OFTEN = 0.05
PAGE = 4096


async def _write_many(db: Database, commits: int) -> None:
    async with db.write() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS scratch (body TEXT)"))
    for _ in range(commits):
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO scratch (body) VALUES (:b)"), {"b": ROW})


async def test_the_writer_connection_never_checkpoints_by_itself(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        async with db.write() as conn:
            assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    finally:
        await db.dispose()


def _log_restarts(wal: Path) -> int:
    """The WAL header's checkpoint sequence number: SQLite adds one each time the log starts again."""
    if not wal.exists():  # the last connection to close copies everything back and deletes the log
        return 0
    with wal.open("rb") as log:
        return int.from_bytes(log.read(16)[12:16], "big")


async def _write_until_restarted(db: Database, wal: Path, restarts: int) -> int:
    """Writes a steady stream until the log has started again `restarts` times; returns the commits.

    How many commits that takes depends on the disk: a checkpoint's fsync that takes a second on a busy
    machine lets a whole burst of commits through before the first restart, so the stream runs until
    the restarts happen (a minute at most) rather than for a fixed count.
    """
    commits, deadline = 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        await _write_many(db, 100)
        commits += 100
        if _log_restarts(wal) >= restarts:
            break
    return commits


async def test_the_log_is_copied_back_and_reused_instead_of_growing(tmp_path: Path) -> None:
    never = Database(f"sqlite:///{tmp_path / 'never.db'}", checkpoint_every=math.inf)
    often = Database(f"sqlite:///{tmp_path / 'often.db'}", checkpoint_every=OFTEN)
    try:
        commits = await _write_until_restarted(often, tmp_path / "often.db-wal", 3)
        await _write_many(never, commits)
        async with often.read() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM scratch"))).scalar() == commits
    finally:
        unchecked = (tmp_path / "never.db-wal").stat().st_size
        checked = (tmp_path / "often.db-wal").stat().st_size
        restarted = _log_restarts(tmp_path / "often.db-wal"), _log_restarts(tmp_path / "never.db-wal")
        await never.dispose()
        await often.dispose()
    assert restarted[0] >= 3
    assert restarted[1] == 0
    assert unchecked > commits * PAGE  # every frame still in the log
    assert checked < unchecked * 3 / 4  # written over from its beginning, not appended to


async def test_dispose_waits_for_a_running_checkpoint_and_the_data_is_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    db = Database(f"sqlite:///{path}", checkpoint_every=OFTEN)
    await _write_many(db, 50)
    await db.dispose()  # must not leave a thread writing the file behind it
    import sqlite3

    with sqlite3.connect(path) as plain:
        assert plain.execute("SELECT count(*) FROM scratch").fetchone() == (50,)


async def test_a_database_used_again_after_dispose_still_checkpoints_off_the_loop(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'hub.db'}", checkpoint_every=OFTEN)
    await _write_many(db, 10)
    await db.dispose()  # SQLAlchemy engines reconnect after dispose; so must the checkpoints
    wal = tmp_path / "hub.db-wal"
    before = _log_restarts(wal)
    try:
        await _write_until_restarted(db, wal, before + 2)
        after = _log_restarts(wal)
    finally:
        await db.dispose()
    assert after >= before + 2
