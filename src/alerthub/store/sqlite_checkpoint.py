"""WAL checkpoints off the event loop.

By default SQLite checkpoints inside the commit that takes the write-ahead log past 1,000 pages. Our
writer runs on the event loop's thread (store/sqlite_inline.py), so every few hundred commits one took
many times longer than the others (copying pages back and an fsync of the database file), and every
request waiting on the loop waited with it (bench/NOTES.md). The writer's
connection turns automatic checkpoints off (`wal_autocheckpoint=0`), and this runs
`PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own in a worker thread, at most once a second,
after a commit; the loop goes on meanwhile, writes included.

The log starts again from its beginning only when a write begins with every frame copied back, which a
steady stream of writes never allows while a checkpoint runs beside them. So when the log has grown
past SQLite's own threshold, a second, short pass copies the few frames written during the first while
holding the database's write lock: writers wait that long (not the loop), and the next one restarts
the log.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY = 1.0
# SQLite's own default for automatic checkpoints: past this many frames the log is restarted.
RESTART_FRAMES = 1000


class WalCheckpointer:
    def __init__(
        self,
        path: str,
        write_lock: asyncio.Lock,
        *,
        every: float = CHECKPOINT_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.write_lock = write_lock
        self.every = every
        self.clock = clock
        self._last = clock()
        self._running: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None  # made at the first checkpoint, again after close()
        self._conn: sqlite3.Connection | None = None  # used on the executor's one thread only

    def after_commit(self) -> None:
        """Called on the loop after each write commits: starts a checkpoint when one is due and none runs."""
        if self._running is not None and not self._running.done():
            return
        now = self.clock()
        if now - self._last < self.every:
            return
        self._last = now
        self._running = asyncio.get_running_loop().create_task(self._run(), name="sqlite-checkpoint")
        self._running.add_done_callback(_report)

    async def close(self) -> None:
        """Waits for a running checkpoint and closes its connection; a later commit starts afresh."""
        if self._running is not None:
            await asyncio.wait([self._running])
            self._running = None
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, self._close_connection)
            executor.shutdown(wait=False)

    async def _run(self) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-checkpoint")
        executor, loop = self._executor, asyncio.get_running_loop()
        frames = await loop.run_in_executor(executor, self._checkpoint)
        if frames >= RESTART_FRAMES:
            async with self.write_lock:
                await loop.run_in_executor(executor, self._checkpoint)

    def _checkpoint(self) -> int:
        """Copies what it can back into the database file; returns the frames in the log."""
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        _busy, frames, _copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames)

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _report(done: asyncio.Task[None]) -> None:
    if done.cancelled():
        return
    exc = done.exception()
    if exc is not None:  # the next one retries; a log that keeps growing shows in its size
        logger.warning("WAL checkpoint failed: %s", exc)
