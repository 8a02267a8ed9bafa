"""The dispatcher: claims due groups, runs the stages over each, and writes the outbox rows, the
members' new state and the decisions in one transaction per group.

Claims are leases (`lease_owner`/`lease_until`, taken under `FOR UPDATE SKIP LOCKED` on PostgreSQL), so
several instances never flush one group twice and a crashed instance's groups are taken over when
its lease runs out. The loop wakes on `hub.wake_dispatch` (set after an ingest commits) and otherwise
sleeps until the next group is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerthub.config.models import Config
from alerthub.domain.clock import Clock
from alerthub.domain.notification import NotificationStatus
from alerthub.pipeline.batch import Batch, Group, Member, Stage
from alerthub.pipeline.enqueue import PayloadBuilder, channels_of
from alerthub.pipeline.flush import FlushPlan, plan_flush
from alerthub.pipeline.inhibit import Inhibitor, InhibitRule, InhibitStage
from alerthub.pipeline.matchers import alert_labels
from alerthub.pipeline.metrics import pipeline_metrics
from alerthub.pipeline.routing import Route
from alerthub.pipeline.silence import Silencer, SilenceStage
from alerthub.pipeline.timeintervals import TimeInterval, TimeWindowStage
from alerthub.rules.ruleset import RuleSet
from alerthub.store import groups, outbox, silences
from alerthub.store.database import Database
from alerthub.store.events import append_events
from alerthub.store.groups import MemberRow
from alerthub.telemetry import Metrics

logger = logging.getLogger(__name__)

# Another process (an `api`-role instance) cannot wake this loop: it looks for due groups at least this often.
_MAX_SLEEP = 5.0
_ERROR_PAUSE = 1.0
_BUSY_ELSEWHERE = 0.5


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
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.counters = pipeline_metrics(metrics.registry)
        self.wake = wake
        self.wake_delivery = wake_delivery
        self.lease = lease
        self.owner = f"{socket.gethostname()[:60]}:{uuid.uuid4().hex[:12]}"

    async def run_once(self) -> int:
        """Flush every group due now; returns how many outbox rows were written."""
        now = self.clock()
        async with self.db.write() as conn:
            keys = await groups.claim_due(conn, self.owner, now, self.lease)
        if not keys:
            return 0
        stages = await self._stages(now)
        written = 0
        for key in keys:
            try:
                written += await self._flush(key, stages, now)
            except Exception:
                # The lease stays until it runs out: a group that keeps failing is retried at that pace.
                logger.exception("group flush failed", extra={"group_key": key, "owner": self.owner})
                self.metrics.loop_errors.labels("dispatcher").inc()
        if written:
            self.wake_delivery.set()
        return written

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

    async def _flush(self, key: str, stages: list[Stage], now: datetime) -> int:
        async with self.db.write() as conn:
            group = await groups.lock_claimed(conn, key, self.owner)
            if group is None:
                logger.info("group lease lost before its flush", extra={"group_key": key})
                return 0
            route = self.routes.get(group.route_path, self.setup.root)
            rows = await groups.members(conn, key)
            # An alert an ingest is changing right now waits for the next pass: writing rows that point at
            # it would wait for that ingest, which may itself be waiting for this group (a deadlock).
            free = await groups.share_alerts(conn, [r.alert.id for r in rows if r.alert.id is not None])
            members = tuple(self._member(r) for r in rows if r.alert.id in free)
            batch = Batch(Group(key, group.receiver, route, group.group_labels), now, members)
            channels = channels_of(self.setup.config, route.channels)
            plan = plan_flush(batch, stages, channels, self.setup.builder, uuid.uuid4().hex[:12])
            next_flush_at = now if len(members) < len(rows) else plan.next_flush_at
            await outbox.enqueue(conn, plan.notifications)
            await append_events(conn, plan.decisions)
            await groups.finish_flush(conn, key, now, next_flush_at, plan.updates, plan.removed)
        self._count(plan)
        return len(plan.notifications)

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

    def _member(self, row: MemberRow) -> Member:
        a = row.alert
        rule = self.setup.rules.get(a.rule_name)
        return Member(
            alert=a,
            labels=alert_labels(a.labels, a.rule_name, a.severity.value),
            notified_state=row.notified_state,
            notified_severity=row.notified_severity,
            notified_at=row.notified_at,
            muted_by=row.muted_by,
            cooldown=rule.cooldown if rule else timedelta(0),
            last_notified_at=row.last_notified_at,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop: flush what is due, then sleep until woken or the next group is due."""
        while not stop.is_set():
            self.wake.clear()
            pause = 0.0
            try:
                flushed = await self.run_once()
                pause = await self._seconds_to_next()
                if pause == 0 and not flushed:
                    pause = _BUSY_ELSEWHERE  # due groups leased by another instance
            except Exception:
                logger.exception("dispatcher pass failed", extra={"owner": self.owner})
                self.metrics.loop_errors.labels("dispatcher").inc()
                pause = _ERROR_PAUSE
            await _wait_any(stop, self.wake, pause)

    async def _seconds_to_next(self) -> float:
        async with self.db.read() as conn:
            due = await groups.next_due(conn)
        if due is None:
            return _MAX_SLEEP
        return min(max((due - self.clock()).total_seconds(), 0.0), _MAX_SLEEP)


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
