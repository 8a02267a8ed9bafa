"""Flushing groups inside a transaction someone else opened: the dispatcher's passes, and an ingest that
has just created a group with no `group_wait`. The groups must be locked by that transaction (or created
by it); everything a flush writes — outbox rows, decisions, member state, the group's next due time —
commits or rolls back with it, a fixed number of statements however many groups there are.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert
from alerthub.domain.by_identity import ByIdentity
from alerthub.domain.notification import NotificationStatus
from alerthub.pipeline.batch import Batch, Group, Member, Stage
from alerthub.pipeline.dependencies import name_the_affected
from alerthub.pipeline.enqueue import channels_of
from alerthub.pipeline.express import Express, NoExpress
from alerthub.pipeline.flush_plan import FlushPlan, plan_flush
from alerthub.pipeline.matchers import alert_labels
from alerthub.pipeline.members import AlertCache, Known
from alerthub.pipeline.metrics import PipelineMetrics
from alerthub.pipeline.setup import PipelineSetup
from alerthub.store import escalations, group_claims, group_members, group_timers, mute_log, outbox, silences
from alerthub.store.events import append_events
from alerthub.store.group_members import MemberState, MemberUpdate
from alerthub.store.groups import FiringAlert, GroupRow


class Flusher:
    def __init__(self, setup: PipelineSetup, counters: PipelineMetrics) -> None:
        self.setup = setup
        self.routes = setup.by_path
        self.counters = counters
        # Only a rule's cooldown needs each alert's last notification (by any group): read it only then.
        self.cooldowns = any(rule.cooldown for rule in setup.rules)
        self.alerts = AlertCache()
        # Each snapshot's dict for the outbox, made once while its group keeps growing.
        self.snapshot_dicts: outbox.SnapshotDicts = ByIdentity(20_000)
        self.express: Express = NoExpress()  # the composition root gives it this process's delivery worker

    async def stages(self, conn: AsyncConnection, now: datetime, firing: Sequence[FiringAlert]) -> list[Stage]:
        """Alertmanager's order: inhibition, time windows, silences; dedup and enqueue follow per channel.
        `firing`: the possible sources of inhibition, read by the caller (only with inhibit rules)."""
        return self.setup.mute_stages(await silences.active(conn, now), firing)

    async def flush(
        self, conn: AsyncConnection, due: Sequence[GroupRow], stages: list[Stage], now: datetime
    ) -> list[FlushPlan]:
        """Flush the given groups, reading their members."""
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
            members = [self._member(s, known[s.alert_id]) for s in mine if s.alert_id in known]
            plan = self._plan(group, members, stages, now)
            held = [s for s in mine if s.alert_id not in known]
            updates = plan.updates + _untouched(held, plan)
            plans.append(plan)
            flushed.append(
                group_timers.Flushed(
                    group.group_key,
                    now if held else plan.next_flush_at,
                    updates,
                    plan.removed,
                    plan.touched,
                    plan.ticked_at,
                )
            )
        plans = await self._write(conn, plans, flushed, now)
        self.alerts.forget(a for p in plans for a in p.removed)
        return plans

    async def flush_fresh(
        self,
        conn: AsyncConnection,
        fresh: Sequence[tuple[GroupRow, Sequence[Alert]]],
        stages: list[Stage],
        now: datetime,
    ) -> list[FlushPlan]:
        """Flush groups this transaction has just created, given their alerts (also written by it): no
        member was ever told anything, so nothing needs reading. With a cooldown rule an alert's last
        notification by another group matters: then the members are read as in `flush`."""
        if self.cooldowns:
            return await self.flush(conn, [g for g, _ in fresh], stages, now)
        plans: list[FlushPlan] = []
        flushed: list[group_timers.Flushed] = []
        for group, alerts in fresh:
            members = [self._fresh(a) for a in alerts]
            plan = self._plan(group, members, stages, now)
            plans.append(plan)
            # Every member told is news (its own update): nothing for `touch` to mark.
            flushed.append(
                group_timers.Flushed(
                    group.group_key, plan.next_flush_at, plan.updates, plan.removed, False, plan.ticked_at
                )
            )
        return await self._write(conn, plans, flushed, now)

    async def _write(
        self, conn: AsyncConnection, plans: list[FlushPlan], flushed: list[group_timers.Flushed], now: datetime
    ) -> list[FlushPlan]:
        """Everything the plans say, in this transaction; the plans back with the rows handed to this
        process's delivery (`express.py`)."""
        rows = [n for p in plans for n in p.notifications]
        if self.setup.dependencies:
            rows = await name_the_affected(conn, self.setup.dependencies, rows)
        claims = self.express.claims({n.channel for n in rows}, now) if rows else {}
        ids = await outbox.enqueue(conn, rows, claims, self.snapshot_dicts)
        await escalations.start(conn, [s for p in plans for s in p.escalations], now)
        await mute_log.record(conn, [e for p in plans for e in p.held_back])
        await append_events(conn, [d for p in plans for d in p.decisions])
        await group_timers.finish_flushes(conn, flushed, now)
        if not claims:
            return plans
        handed = {n.idempotency_key: n for n in outbox.claimed(rows, ids, claims, self.snapshot_dicts)}
        return [
            replace(p, express=tuple(handed[n.idempotency_key] for n in p.notifications if n.idempotency_key in handed))
            for p in plans
        ]

    def _plan(self, group: GroupRow, members: list[Member], stages: list[Stage], now: datetime) -> FlushPlan:
        route = self.routes.get(group.route_path, self.setup.root)
        tick = _tick(group, now, route.group_interval)
        batch = Batch(Group(group.group_key, group.receiver, route, group.group_labels), now, tuple(members), tick)
        channels = channels_of(self.setup.config, route.channels)
        plan = plan_flush(batch, stages, channels, self.setup.builder, uuid.uuid4().hex[:12])
        return replace(plan, escalations=_escalations(plan, route.escalation)) if route.escalation else plan

    def count(self, plan: FlushPlan) -> None:
        """After the commit: the pipeline's metrics for one group's flush."""
        for n in plan.notifications:
            # A suppressed row's reason names its silence or window: free text, kept out of the labels.
            reason = n.payload.reason if n.status is NotificationStatus.PENDING else "muted"
            self.counters.enqueued.labels(n.status.value, reason).inc()
        for _, event in plan.decisions:
            stage = event.actor.removeprefix("pipeline:")
            if stage in ("inhibit", "time_window", "silence"):
                self.counters.muted.labels(stage).inc()
        self.counters.flushes.labels("notified" if plan.notifications else "nothing_new").inc()

    def _fresh(self, a: Alert) -> Member:
        rule = self.setup.rules.get(a.rule_name)
        labels = alert_labels(a.labels, a.rule_name, a.severity.value)
        return Member(alert=a, labels=labels, cooldown=rule.cooldown if rule else timedelta(0))

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


def _escalations(plan: FlushPlan, policy: str) -> tuple[escalations.EscalationStart, ...]:
    """An escalation for every alert this flush told as firing (not acknowledged): a page follows the
    message. A repeat finds its escalation already there and leaves it be."""
    told = {
        (a.id, a.episode, n.receiver): None
        for n in plan.notifications
        if n.status is NotificationStatus.PENDING
        for a in n.payload.alerts
        if a.state == "firing"
    }
    return tuple(escalations.EscalationStart(aid, episode, receiver, policy) for aid, episode, receiver in told)


def _tick(group: GroupRow, now: datetime, interval: timedelta) -> datetime:
    """When the group fell due; a group overdue by a whole interval or more (the hub was down) starts its
    intervals afresh from now rather than flushing again at once."""
    due = group.flush_at
    return due if due is not None and due <= now and now - due < interval else now


def _untouched(held: Sequence[MemberState], plan: FlushPlan) -> tuple[MemberUpdate, ...]:
    """Members left out of this flush (an ingest holds their alert) were not in its message: they keep
    what they had, after `touch` marked the group's members told."""
    if not plan.touched:
        return ()
    return tuple(
        MemberUpdate(s.alert_id, s.notified_state, s.notified_severity, s.notified_at, s.muted_by) for s in held
    )
