"""The dispatcher: takes the groups due now, runs the stages over each, and writes all their outbox
rows, the members' new state and the decisions in one transaction per pass, with a fixed number of
statements (SQLite has one writer: one flush transaction per group made every flush queue behind
ingest, and ingest behind them).

A pass locks the due groups nobody holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several instances
never flush one group twice) and finishes them in the same transaction: a crashed instance's pass rolls
back and its groups are due again at once. If a pass fails, its groups are flushed one by one under a
lease (`lease_owner`/`lease_until`), so one bad group fails alone and is retried when its lease runs out.
The loop sleeps until the next group is due, or the next held one can be taken over; an ingest commit
wakes it (`hub.wake_dispatch`) only when it made a group due before that. Groups an ingest creates with no
group_wait are flushed inside that ingest's transaction (`scheduled`). A pass is one write transaction and nothing else
(silences and the next due time are read inside it): on SQLite a read on the reader connection is a
round trip through aiosqlite's thread, which at group_wait 0 was the larger part of a pass's latency.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import AlertChange
from alerthub.domain.clock import Clock
from alerthub.domain.instance import new_instance_id
from alerthub.loops import nap, wake_on
from alerthub.pipeline.batch import Stage
from alerthub.pipeline.flush_plan import FlushPlan
from alerthub.pipeline.group_flush import Flusher
from alerthub.pipeline.grouping import Scheduled, is_acknowledgement
from alerthub.pipeline.metrics import pipeline_metrics
from alerthub.pipeline.setup import PipelineSetup
from alerthub.store import group_claims, group_timers, groups
from alerthub.store.database import Database
from alerthub.store.groups import FiringAlert, GroupRow
from alerthub.telemetry import LoopFailureLog, Metrics

__all__ = ["Dispatcher", "PipelineSetup"]

logger = logging.getLogger(__name__)

# Another process (an `api`-role instance) cannot wake this loop: it looks for due groups at least this often.
_MAX_SLEEP = 5.0
_ERROR_PAUSE = 1.0
_BUSY_ELSEWHERE = 0.05
# Groups flushed in one transaction at most: bounds how long one pass holds SQLite's single writer.
_PER_PASS = 200
# Members flushed in one pass at most (unless one group alone is bigger): see `_within_budget`.
_MEMBERS_PER_PASS = 2_000
# Ingest transactions in flight at once whose flushes await their commit (PostgreSQL runs a few).
_UNCOMMITTED = 64


class Dispatcher:
    def __init__(
        self,
        setup: PipelineSetup,
        db: Database,
        clock: Clock,
        metrics: Metrics,
        *,
        wake: asyncio.Event,
        wake_delivery: asyncio.Event,
        wake_escalation: asyncio.Event | None = None,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.setup = setup
        self.flusher = Flusher(setup, pipeline_metrics(metrics.registry))
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.wake = wake
        self.wake_delivery = wake_delivery
        self.wake_escalation = wake_escalation or asyncio.Event()
        self.lease = lease
        self.owner = new_instance_id()
        self.log_pass_failure = LoopFailureLog(logger, "dispatcher pass failed")
        # Flushes made inside another transaction (`flush_new`), counted once it has committed.
        self._uncommitted: dict[int, _Uncommitted] = {}
        # Until when the loop sleeps (None: it is in a pass and will look again anyway).
        self._asleep_until: datetime | None = None

    async def run_once(self) -> int:
        """Flush every group due now; returns how many outbox rows were written."""
        return (await self._pass())[1]

    async def _pass(self) -> tuple[int, int, datetime | None]:
        """One pass: the groups due now (up to `_PER_PASS`) flushed in one transaction. Returns how many
        groups were taken, how many outbox rows were written, and when a group can next be taken."""
        now = self.clock()
        firing = await self._firing()
        try:
            async with self.db.write() as conn:
                locked = await group_claims.lock_due(conn, now, _PER_PASS)
                due = await self._within_budget(conn, locked)
                stages = await self.flusher.stages(conn, now, firing) if due else []
                plans = await self.flusher.flush(conn, due, stages, now)
                more = len(locked) == _PER_PASS or len(due) < len(locked)
                next_at = now if more else await group_timers.next_due(conn, now)
        except Exception:
            # One bad group must not hold back the others: flush them one by one, each under a lease.
            logger.exception("flush pass failed; flushing its groups one by one", extra={"owner": self.owner})
            self.metrics.loop_errors.labels("dispatcher").inc()
            taken, written = await self._one_by_one(now, firing)
            return taken, written, now
        return len(due), self._done(plans), next_at

    async def scheduled(
        self, conn: AsyncConnection, changes: Sequence[AlertChange], due: Scheduled, now: datetime
    ) -> None:
        """The grouping hook's call, inside the ingest transaction. Groups it created with no group_wait
        are flushed there, as a pass right after its commit would have (same stages, silences as of
        `now`), and commit with the alerts. With inhibit rules they are left to that pass: inhibition
        weighs every firing alert, too much to read in every ingest."""
        earliest, plans = due.earliest, []
        if due.fresh and self.setup.inhibit_rules:
            earliest = now
        elif due.fresh:
            stages = await self.flusher.stages(conn, now, [])
            plans = await self.flusher.flush_fresh(conn, due.fresh, stages, now)
        while len(self._uncommitted) >= _UNCOMMITTED:
            del self._uncommitted[next(iter(self._uncommitted))]  # rolled back long ago
        self._uncommitted[id(changes)] = _Uncommitted(changes, plans, earliest)

    def after_commit(self, changes: Sequence[AlertChange]) -> None:
        """The after-commit hook: the dispatcher's own wake-up, and delivery's for an acknowledgement
        notice queued in that transaction."""
        self.committed(changes)
        if any(is_acknowledgement(c) for c in changes):
            self.wake_delivery.set()

    def committed(self, changes: Sequence[AlertChange]) -> None:
        """The after-commit hook: count what was flushed in that transaction, wake delivery for it, and
        wake the loop if a group now falls due before the loop would look again (each commit used to
        wake it, for an empty pass most of the time)."""
        found = self._uncommitted.pop(id(changes), None)
        if found is None or found.changes is not changes:
            if any(c.events for c in changes):
                self.wake.set()  # not seen by the grouping hook: look, to be safe
            return
        self._done(found.plans)
        asleep_until = self._asleep_until
        if found.earliest is not None and (asleep_until is None or found.earliest < asleep_until):
            self.wake.set()

    @staticmethod
    async def _within_budget(conn: AsyncConnection, locked: list[GroupRow]) -> list[GroupRow]:
        """The first due groups whose members fit `_MEMBERS_PER_PASS` (at least one group): one pass over a
        storm's full groups would hold the loop and the writer, with every request and every send behind
        it. The rest stay due and the loop goes round at once."""
        if len(locked) < 2:
            return locked
        sizes = await group_timers.sizes(conn, [g.group_key for g in locked])
        total, out = 0, list[GroupRow]()
        for group in locked:
            total += sizes.get(group.group_key, 0)
            if out and total > _MEMBERS_PER_PASS:
                break
            out.append(group)
        return out

    async def _firing(self) -> list[FiringAlert]:
        """Every firing alert, the possible sources of inhibition: read on the reader, outside the write
        transaction (it can be long), and only when there are inhibit rules."""
        if not self.setup.inhibit_rules:
            return []
        async with self.db.read() as conn:
            return await groups.firing_alerts(conn)

    async def _one_by_one(self, now: datetime, firing: list[FiringAlert]) -> tuple[int, int]:
        async with self.db.write() as conn:
            keys = await group_claims.claim_due(conn, self.owner, now, self.lease, _PER_PASS)
            stages = await self.flusher.stages(conn, now, firing)
        plans: list[FlushPlan] = []
        for key in keys:
            try:
                plans += await self._flush_claimed(key, stages, now)
            except Exception:
                # The lease stays until it runs out: a group that keeps failing is retried at that pace.
                logger.exception("group flush failed", extra={"group_key": key, "owner": self.owner})
                self.metrics.loop_errors.labels("dispatcher").inc()
        return len(keys), self._done(plans)

    async def _flush_claimed(self, key: str, stages: list[Stage], now: datetime) -> list[FlushPlan]:
        async with self.db.write() as conn:
            group = await group_claims.lock_claimed(conn, key, self.owner)
            if group is None:
                logger.info("group lease lost before its flush", extra={"group_key": key})
                return []
            return await self.flusher.flush(conn, [group], stages, now)

    def _done(self, plans: list[FlushPlan]) -> int:
        """After the commit: count, and wake delivery once for the whole pass."""
        for plan in plans:
            self.flusher.count(plan)
        handed = [n for p in plans for n in p.express]
        if handed:
            self.flusher.express.take(handed)
        written = sum(len(p.notifications) for p in plans)
        if written > len(handed):  # the rest are the delivery loop's to claim
            self.wake_delivery.set()
        if any(p.escalations for p in plans):
            self.wake_escalation.set()
        return written

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop: flush what is due, then sleep until woken or the next group is due. A
        full pass means more may be due: the loop goes round again at once instead of sleeping."""
        stopping = asyncio.ensure_future(wake_on(stop, self.wake))  # a stop wakes the loop as work does
        try:
            await self._loop(stop)
        finally:
            stopping.cancel()

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._asleep_until = None
            self.wake.clear()
            pause = 0.0
            try:
                taken, _, next_at = await self._pass()
                pause = self._seconds_until(next_at)  # 0 after a full pass: more may be due
                if pause == 0 and not taken:
                    pause = _BUSY_ELSEWHERE  # due, but another instance's flush holds them right now
            except Exception:
                self.log_pass_failure(extra={"owner": self.owner})
                self.metrics.loop_errors.labels("dispatcher").inc()
                pause = _ERROR_PAUSE
            self._asleep_until = self.clock() + timedelta(seconds=pause)
            await nap(self.wake, pause)

    def _seconds_until(self, due: datetime | None) -> float:
        if due is None:
            return _MAX_SLEEP
        return min(max((due - self.clock()).total_seconds(), 0.0), _MAX_SLEEP)


@dataclass(frozen=True, slots=True)
class _Uncommitted:
    changes: Sequence[AlertChange]
    plans: list[FlushPlan]
    earliest: datetime | None
