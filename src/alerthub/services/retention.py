"""Retention: what `storage.retention` says may go, deleted in small batches.

The worker role runs a pass about every hour (its first soon after start, spread so that instances
started together do not all try at once); `alerthub db prune` runs one at once. A pass holds the
`retention` lease, so with several instances on PostgreSQL one prunes at a time, and renews it at every
batch. Each batch is one short transaction of at most `batch_size` alerts, notifications or silences
(and the events and links of those alerts), with a pause between batches: on SQLite the hub's writer runs
on the event loop's thread (store/sqlite_inline.py), and one long delete would stall every request.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.config.models import RetentionConfig
from alerthub.domain.clock import Clock
from alerthub.domain.instance import new_instance_id
from alerthub.domain.retention import Cutoffs, PruneCounts
from alerthub.loops import wait_or_stop
from alerthub.store import monitors, signal_log
from alerthub.store import retention as store
from alerthub.store.database import Database
from alerthub.telemetry import LoopFailureLog, Metrics

logger = logging.getLogger(__name__)

LEASE = "retention"
EVERY = timedelta(hours=1)
# The first pass within this after start: a hub that was down for a while catches up soon.
FIRST_WITHIN = timedelta(minutes=1)
BATCH_SIZE = 250
# Logged signals per batch, in multiples of `batch_size`: a signal row has no history or links to take with it.
SIGNAL_BATCH_SCALE = 10
PAUSE = 0.1
# Renewed at every batch: another instance takes over this long after a pruner died mid-pass.
LEASE_FOR = timedelta(minutes=5)
# Freed SQLite pages given back after each batch (4 KiB each by default): about what a batch frees, so a
# large free list left by other deletes drains a little at a time instead of stalling one batch.
VACUUM_PAGES = 1024

Sleep = Callable[[float, asyncio.Event], Awaitable[bool]]
Progress = Callable[[PruneCounts], None]
Step = Callable[[AsyncConnection], Awaitable[PruneCounts]]


def cutoffs(retention: RetentionConfig, now: datetime) -> Cutoffs:
    return Cutoffs(
        resolved=now - retention.resolved,
        silences=now - retention.silences,
        notifications=now - retention.notifications,
        signals=now - retention.signals,
    )


async def _signals(conn: AsyncConnection, before: datetime, limit: int) -> PruneCounts:
    return PruneCounts(signals=await signal_log.prune(conn, before, limit))


class LeaseHeldError(Exception):
    """Another pruner holds the `retention` lease right now."""


class Pruner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        retention: RetentionConfig,
        metrics: Metrics | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        pause: float = PAUSE,
        rng: random.Random | None = None,
        sleep: Sleep = wait_or_stop,
    ) -> None:
        self.db = db
        self.clock = clock
        self.retention = retention
        self.batch_size = batch_size
        self.pause = pause
        self.metrics = metrics
        self.rng = rng or random.Random()  # noqa: S311 - spreading start times, not cryptography
        self.sleep = sleep
        self.owner = new_instance_id()
        self.log_failure = LoopFailureLog(logger, "pruning old history failed")

    def cutoffs(self) -> Cutoffs:
        return cutoffs(self.retention, self.clock())

    async def preview(self) -> PruneCounts:
        """What a pass now would delete (`db prune --dry-run`)."""
        limits = self.cutoffs()
        async with self.db.read() as conn:
            signals = await signal_log.count_before(conn, limits.signals)
            return await store.count(conn, limits) + PruneCounts(signals=signals)

    async def prune(self, progress: Progress | None = None, stop: asyncio.Event | None = None) -> PruneCounts:
        """One pass, batch after batch, until nothing is left to go; raises LeaseHeldError when another
        pruner is at work. `progress` hears each batch's counts."""
        limits, size = self.cutoffs(), self.batch_size
        resume: datetime | None = None

        async def notifications(conn: AsyncConnection) -> PruneCounts:
            nonlocal resume
            found = await store.prune_notifications(conn, limits.notifications, size, resume)
            resume = found.resume_from
            return found.counts

        steps: tuple[tuple[Step, str], ...] = (
            (lambda conn: store.prune_alerts(conn, limits.resolved, size), "alerts"),
            (notifications, "notifications"),
            (lambda conn: store.prune_silences(conn, limits.silences, size), "silences"),
            (lambda conn: _signals(conn, limits.signals, size * SIGNAL_BATCH_SCALE), "signals"),
        )
        total = PruneCounts()
        try:
            for step, kind in steps:
                total += await self._batches(step, kind, progress, stop or asyncio.Event())
        finally:
            async with self.db.write() as conn:
                await monitors.release_lease(conn, LEASE, self.owner)
        return total

    @asynccontextmanager
    async def _batch(self) -> AsyncIterator[AsyncConnection]:
        """One batch's write transaction, opened by renewing the lease. On SQLite that write also takes
        the database's write lock before the batch reads anything, so what it reads cannot change before
        it deletes it, even with `alerthub db prune` in another process."""
        async with self.db.write() as conn:
            now = self.clock()
            if not await monitors.take_lease(conn, LEASE, self.owner, now, now + LEASE_FOR):
                raise LeaseHeldError(f"another alerthub holds the {LEASE!r} lease: it is pruning now")
            yield conn

    async def _batches(self, step: Step, kind: str, progress: Progress | None, stop: asyncio.Event) -> PruneCounts:
        """`step` until a batch finds fewer than `batch_size` rows of its `kind`, or `stop` is set."""
        total = PruneCounts()
        more = True
        while more and not stop.is_set():
            started = time.monotonic()
            async with self._batch() as conn:
                counts = await step(conn)
            more = getattr(counts, kind) >= self.batch_size
            total += counts
            if progress is not None:
                progress(counts)
            if counts.total:
                await self._give_back_space()
            if more:
                # At least the batch's own time: pruning never takes more than half of the writer.
                await wait_or_stop(max(self.pause, time.monotonic() - started), stop)
        return total

    async def _give_back_space(self) -> None:
        if not self.db.is_sqlite:
            return
        async with self.db.write() as conn:
            await store.incremental_vacuum(conn, min(await store.free_pages(conn), VACUUM_PAGES))

    async def run(self, stop: asyncio.Event) -> None:
        """The worker's loop: a pass soon after start, then about every hour."""
        delay = self.rng.uniform(0, FIRST_WITHIN.total_seconds())
        while not await self.sleep(delay, stop):
            await self.run_once(stop)
            delay = EVERY.total_seconds() * self.rng.uniform(0.9, 1.1)

    async def run_once(self, stop: asyncio.Event) -> PruneCounts | None:
        started = time.monotonic()
        try:
            counts = await self.prune(stop=stop)
        except LeaseHeldError:
            logger.debug("retention: another instance is pruning")
            return None
        except Exception:
            self.log_failure(extra={"loop": LEASE})
            if self.metrics is not None:
                self.metrics.loop_errors.labels(LEASE).inc()
            return None
        if counts.total:
            summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
            logger.info("retention: pruned %s in %.1fs", summary, time.monotonic() - started)
        return counts
