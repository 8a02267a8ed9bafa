"""The dispatcher: takes the groups due now, runs the stages over each, and writes all their outbox
rows, the members' new state and the decisions in one transaction per pass, with a fixed number of
statements (SQLite has one writer: one flush transaction per group made every flush queue behind
ingest, and ingest behind them).

A pass locks the due groups nobody holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several instances
never flush one group twice) and finishes them in the same transaction: a crashed instance's pass rolls
back and its groups are due again at once. If a pass fails, its groups are flushed one by one under a
lease (`lease_owner`/`lease_until`), so one bad group fails alone and is retried when its lease runs out.
The loop wakes on `hub.wake_dispatch` (set after an ingest commits) and otherwise sleeps until the next
group is due, or the next held one can be taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.config.models import Config
from alerthub.domain.clock import Clock
from alerthub.domain.notification import NotificationStatus
from alerthub.pipeline.batch import Batch, Group, Member, Stage
from alerthub.pipeline.enqueue import PayloadBuilder, channels_of
from alerthub.pipeline.flush import FlushPlan, plan_flush
from alerthub.pipeline.inhibit import Inhibitor, InhibitRule, InhibitStage
from alerthub.pipeline.members import AlertCache, Known
from alerthub.pipeline.metrics import pipeline_metrics
from alerthub.pipeline.routing import Route
from alerthub.pipeline.silence import Silencer, SilenceStage
from alerthub.pipeline.timeintervals import TimeInterval, TimeWindowStage
from alerthub.rules.ruleset import RuleSet
from alerthub.store import group_claims, group_members, group_timers, groups, outbox, silences
from alerthub.store.database import Database
from alerthub.store.events import append_events
from alerthub.store.group_members import MemberState, MemberUpdate
from alerthub.store.groups import GroupRow
from alerthub.telemetry import Metrics

logger = logging.getLogger(__name__)

# Another process (an `api`-role instance) cannot wake this loop: it looks for due groups at least this often.
_MAX_SLEEP = 5.0
_ERROR_PAUSE = 1.0
_BUSY_ELSEWHERE = 0.05
# Groups flushed in one transaction at most: bounds how long one pass holds SQLite's single writer.
_PER_PASS = 200


@dataclass(frozen=True, slots=True)
class PipelineSetup:
    """Everything the stages need that comes from the configuration, built once."""

    config: Config
    rules: RuleSet
    root: Route
    intervals: dict[str, TimeInterval]
    inhibit_rules: tuple[InhibitRule, ...]
    builder: PayloadBuilder

    @property
    def by_path(self) -> dict[str, Route]:
        return {r.path: r for r in self.root.walk()}


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
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.setup = setup
        self.routes = setup.by_path
        # Only a rule's cooldown needs each alert's last notification (by any group): read it only then.
        self.cooldowns = any(rule.cooldown for rule in setup.rules)
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.counters = pipeline_metrics(metrics.registry)
        self.wake = wake
        self.wake_delivery = wake_delivery
        self.lease = lease
        self.owner = f"{socket.gethostname()[:60]}:{uuid.uuid4().hex[:12]}"
        self.alerts = AlertCache()

    async def run_once(self) -> int:
        """Flush every group due now; returns how many outbox rows were written."""
        return (await self._pass())[1]

    async def _pass(self) -> tuple[int, int]:
        """One pass: the groups due now (up to `_PER_PASS`) flushed in one transaction. Returns how many
        groups were taken and how many outbox rows were written."""
        now = self.clock()
        stages = await self._stages(now)
        try:
            async with self.db.write() as conn:
                due = await group_claims.lock_due(conn, now, _PER_PASS)
                plans = await self._flush(conn, due, stages, now)
        except Exception:
            # One bad group must not hold back the others: flush them one by one, each under a lease.
            logger.exception("flush pass failed; flushing its groups one by one", extra={"owner": self.owner})
            self.metrics.loop_errors.labels("dispatcher").inc()
            return await self._one_by_one(stages, now)
        return self._done(len(due), plans)

    async def _one_by_one(self, stages: list[Stage], now: datetime) -> tuple[int, int]:
        async with self.db.write() as conn:
            keys = await group_claims.claim_due(conn, self.owner, now, self.lease, _PER_PASS)
        plans: list[FlushPlan] = []
        for key in keys:
            try:
                plans += await self._flush_claimed(key, stages, now)
            except Exception:
                # The lease stays until it runs out: a group that keeps failing is retried at that pace.
                logger.exception("group flush failed", extra={"group_key": key, "owner": self.owner})
                self.metrics.loop_errors.labels("dispatcher").inc()
        return self._done(len(keys), plans)

    async def _flush_claimed(self, key: str, stages: list[Stage], now: datetime) -> list[FlushPlan]:
        async with self.db.write() as conn:
            group = await group_claims.lock_claimed(conn, key, self.owner)
            if group is None:
                logger.info("group lease lost before its flush", extra={"group_key": key})
                return []
            return await self._flush(conn, [group], stages, now)

    def _done(self, taken: int, plans: list[FlushPlan]) -> tuple[int, int]:
        """After the commit: count, and wake delivery once for the whole pass."""
        for plan in plans:
            self._count(plan)
        written = sum(len(p.notifications) for p in plans)
        if written:
            self.wake_delivery.set()
        return taken, written

    async def _stages(self, now: datetime) -> list[Stage]:
        # Alertmanager's order: inhibition, time windows, silences; dedup and enqueue follow per channel.
        async with self.db.read() as conn:
            active = await silences.active(conn, now)
            firing = await groups.firing_alerts(conn) if self.setup.inhibit_rules else []
        return [
            InhibitStage(Inhibitor(self.setup.inhibit_rules, firing)),
            TimeWindowStage(self.setup.intervals),
            SilenceStage(Silencer(active)),
        ]

    async def _flush(
        self, conn: AsyncConnection, due: Sequence[GroupRow], stages: list[Stage], now: datetime
    ) -> list[FlushPlan]:
        """Flush the given (locked) groups: a fixed number of statements however many there are."""
        if not due:
            return []
        states = await group_members.member_states(conn, [g.group_key for g in due], last_notified=self.cooldowns)
        # An alert an ingest is changing right now waits for the next pass: writing rows that point at
        # it would wait for that ingest, which may itself be waiting for this group (a deadlock).
        free = await group_claims.share_alerts(conn, [s.alert_id for s in states])
        known = await self.alerts.load(
            [s for s in states if s.alert_id in free], lambda ids: group_members.alerts_by_id(conn, ids)
        )
        by_group: dict[str, list[MemberState]] = defaultdict(list)
        for state in states:
            by_group[state.group_key].append(state)
        plans: list[FlushPlan] = []
        flushed: list[group_timers.Flushed] = []
        for group in due:
            mine = by_group.get(group.group_key, [])
            route = self.routes.get(group.route_path, self.setup.root)
            members = tuple(self._member(s, known[s.alert_id]) for s in mine if s.alert_id in known)
            batch = Batch(Group(group.group_key, group.receiver, route, group.group_labels), now, members)
            channels = channels_of(self.setup.config, route.channels)
            plan = plan_flush(batch, stages, channels, self.setup.builder, uuid.uuid4().hex[:12])
            held = [s for s in mine if s.alert_id not in known]
            next_flush_at = now if held else plan.next_flush_at
            plans.append(plan)
            flushed.append(
                group_timers.Flushed(
                    group.group_key, next_flush_at, plan.updates + _untouched(held, plan), plan.removed, plan.touched
                )
            )
        await outbox.enqueue(conn, [n for p in plans for n in p.notifications])
        await append_events(conn, [d for p in plans for d in p.decisions])
        await group_timers.finish_flushes(conn, flushed, now)
        self.alerts.forget(a for p in plans for a in p.removed)
        return plans

    def _count(self, plan: FlushPlan) -> None:
        for n in plan.notifications:
            # A suppressed row's reason names its silence or window: free text, kept out of the labels.
            reason = n.payload.reason if n.status is NotificationStatus.PENDING else "muted"
            self.counters.enqueued.labels(n.status.value, reason).inc()
        for _, event in plan.decisions:
            stage = event.actor.removeprefix("pipeline:")
            if stage in ("inhibit", "time_window", "silence"):
                self.counters.muted.labels(stage).inc()
        self.counters.flushes.labels("notified" if plan.notifications else "nothing_new").inc()

    def _member(self, state: MemberState, known: Known) -> Member:
        a = known.alert
        rule = self.setup.rules.get(a.rule_name)
        return Member(
            alert=a,
            labels=known.labels,
            notified_state=state.notified_state,
            notified_severity=state.notified_severity,
            notified_at=state.notified_at,
            muted_by=state.muted_by,
            cooldown=rule.cooldown if rule else timedelta(0),
            last_notified_at=state.last_notified_at,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop: flush what is due, then sleep until woken or the next group is due. A
        full pass means more may be due: the loop goes round again at once instead of sleeping."""
        while not stop.is_set():
            self.wake.clear()
            pause = 0.0
            try:
                taken, _ = await self._pass()
                if taken < _PER_PASS:
                    pause = await self._seconds_to_next()
                    if pause == 0 and not taken:
                        pause = _BUSY_ELSEWHERE  # due, but another instance's flush holds them right now
            except Exception:
                logger.exception("dispatcher pass failed", extra={"owner": self.owner})
                self.metrics.loop_errors.labels("dispatcher").inc()
                pause = _ERROR_PAUSE
            await _wait_any(stop, self.wake, pause)

    async def _seconds_to_next(self) -> float:
        now = self.clock()
        async with self.db.read() as conn:
            due = await group_timers.next_due(conn, now)
        if due is None:
            return _MAX_SLEEP
        return min(max((due - now).total_seconds(), 0.0), _MAX_SLEEP)


def _untouched(held: Sequence[MemberState], plan: FlushPlan) -> tuple[MemberUpdate, ...]:
    """Members left out of this flush (an ingest holds their alert) were not in its message: they keep
    what they had, after `touch` marked the group's members told."""
    if not plan.touched:
        return ()
    return tuple(
        MemberUpdate(s.alert_id, s.notified_state, s.notified_severity, s.notified_at, s.muted_by) for s in held
    )


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    if seconds <= 0:
        return
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waiters:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
