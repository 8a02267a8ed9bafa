"""Grouping, inside the transaction that saved the alert changes: route each changed alert, put it in
its groups and mark those groups due. Sending waits for the dispatcher; nothing here is per-alert SQL.

When a group is due follows Alertmanager: a new group waits `group_wait`; a change to a group that has
already flushed goes out no sooner than `group_interval` after that flush. An alert that is only seen
again (no transition, no severity change) touches nothing, so a steady stream of repeats stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert, AlertChange, AlertEvent, AlertState, EventKind
from alerthub.pipeline.matchers import alert_labels
from alerthub.pipeline.routing import Route
from alerthub.store import group_members, group_timers, groups
from alerthub.store.events import append_events
from alerthub.store.groups import GroupRow, NewGroup


@dataclass(frozen=True, slots=True)
class Scheduled:
    """What one transaction's grouping made due: the groups it created with no group_wait, each with its
    alerts, and the earliest time any other group it touched falls due (None: none)."""

    fresh: tuple[tuple[GroupRow, tuple[Alert, ...]], ...]
    earliest: datetime | None


class Scheduler(Protocol):
    """The dispatcher, told inside the transaction: it flushes the fresh groups there, and after the
    commit wakes its loop only if a group now falls due before the loop would have looked again."""

    async def scheduled(
        self, conn: AsyncConnection, changes: Sequence[AlertChange], due: Scheduled, now: datetime
    ) -> None: ...


def is_acknowledgement(change: AlertChange) -> bool:
    before = change.before
    return change.after.state is AlertState.ACKNOWLEDGED and before is not None and before.state is AlertState.FIRING


@dataclass
class _Plan:
    targets: dict[str, tuple[Route, dict[str, str]]] = field(default_factory=dict)
    wanted: list[tuple[str, int]] = field(default_factory=list)
    decisions: list[tuple[int, AlertEvent]] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    firing: list[int] = field(default_factory=list)


class Grouper:
    """The in-transaction hook that keeps `alert_group` and `alert_group_member` up to date."""

    def __init__(self, root: Route, scheduler: Scheduler | None = None) -> None:
        self.root = root
        self.by_path = {r.path: r for r in root.walk()}
        self.scheduler = scheduler

    async def __call__(self, conn: AsyncConnection, changes: Sequence[AlertChange], now: datetime) -> None:
        relevant = [c for c in changes if c.events and c.after.id is not None and not is_acknowledgement(c)]
        if not relevant:
            return
        plan = self._plan(relevant, now)
        # An alert this transaction created belongs to no group yet: a storm of new alerts skips the read.
        existed = {c.after.id for c in relevant if c.before is not None}
        member_of = await group_members.groups_of(conn, [a for a in plan.resolved + plan.firing if a in existed])
        wanted = set(plan.wanted)
        # An alert whose severity moved it to another route leaves the groups it no longer belongs to.
        stale = [(k, aid) for aid in plan.firing for k in member_of.get(aid, []) if (k, aid) not in wanted]
        due = set(plan.targets) | {k for aid in plan.resolved for k in member_of.get(aid, [])} | {k for k, _ in stale}
        existing = await groups.lock(conn, due)
        new = [
            NewGroup(key, route.receiver, route.path, labels, now + route.group_wait)
            for key, (route, labels) in sorted(plan.targets.items())
            if key not in existing
        ]
        created = await groups.create(conn, new, now)
        if lost := [g.group_key for g in new if g.group_key not in created]:
            # Another transaction created them since the lock above (PostgreSQL): due like any existing group.
            existing.update(await groups.lock(conn, lost))
        await group_timers.bring_forward(conn, [(k, self._due(g, now)) for k, g in sorted(existing.items())])
        await group_members.remove_members(conn, stale)
        known = {(k, aid) for aid, keys in member_of.items() for k in keys}
        added = await group_members.add_members(conn, plan.wanted, now, known)
        by_id = changes_by_id(relevant)
        grouped = [(aid, self._grouped(key, plan.targets[key][0], by_id[aid], now)) for key, aid in added]
        await append_events(conn, plan.decisions + grouped)
        if self.scheduler is not None:
            scheduled = self._scheduled(new, created, existing, added, by_id, now)
            await self.scheduler.scheduled(conn, changes, scheduled, now)

    def _scheduled(
        self,
        new: Sequence[NewGroup],
        created: set[str],
        existing: dict[str, GroupRow],
        added: Sequence[tuple[str, int]],
        by_id: dict[int, AlertChange],
        now: datetime,
    ) -> Scheduled:
        # A group with no group_wait goes out with the transaction that made it, not after a wake-up and
        # a transaction of its own. Only a group this transaction created: nobody else can hold it.
        fresh = {g.group_key: g for g in new if g.group_key in created and g.flush_at <= now}
        alerts: dict[str, list[Alert]] = {k: [] for k in fresh}
        for key, alert_id in added:
            if key in alerts:
                alerts[key].append(by_id[alert_id].after)
        later = [g.flush_at for g in new if g.group_key in created and g.group_key not in fresh]
        later += [self._due(g, now) for g in existing.values()]
        return Scheduled(tuple((_row(g, now), tuple(alerts[k])) for k, g in fresh.items()), min(later, default=None))

    def _plan(self, relevant: Sequence[AlertChange], now: datetime) -> _Plan:
        """Route every changed alert (pure): the groups it belongs in, and who has no channel at all."""
        plan = _Plan()
        for change in relevant:
            a = change.after
            assert a.id is not None
            if a.state is AlertState.RESOLVED:
                plan.resolved.append(a.id)
                continue
            if a.state is AlertState.PENDING:
                continue
            plan.firing.append(a.id)
            labels = alert_labels(a.labels, a.rule_name, a.severity.value)
            for route in self.root.match(labels):
                if not route.channels:
                    if change.transitioned:
                        plan.decisions.append((a.id, _no_channels(change, route, now)))
                    continue
                group_labels = route.group_labels(labels)
                key = route.group_key(group_labels)
                plan.targets[key] = (route, group_labels)
                plan.wanted.append((key, a.id))
        return plan

    def _due(self, group: GroupRow, now: datetime) -> datetime:
        if group.last_flush_at is None:
            # Never flushed: still inside group_wait (or overdue), keep its time.
            return group.flush_at or now
        route = self.by_path.get(group.route_path, self.root)
        return max(now, group.last_flush_at + route.group_interval)

    @staticmethod
    def _grouped(key: str, route: Route, change: AlertChange, now: datetime) -> AlertEvent:
        channels = ", ".join(route.channels)
        return AlertEvent(
            kind=EventKind.DECISION,
            at=now,
            actor="pipeline:route",
            episode=change.after.episode,
            reason=f"matched route {route.path}: receiver {route.receiver!r} ({channels}); grouped into {key}",
            detail={
                "route": route.path,
                "receiver": route.receiver,
                "channels": list(route.channels),
                "group_key": key,
            },
        )


def _row(g: NewGroup, now: datetime) -> GroupRow:
    return GroupRow(g.group_key, g.receiver, g.route_path, g.group_labels, now, g.flush_at, None)


def changes_by_id(changes: Sequence[AlertChange]) -> dict[int, AlertChange]:
    return {c.after.id: c for c in changes if c.after.id is not None}


def _no_channels(change: AlertChange, route: Route, now: datetime) -> AlertEvent:
    return AlertEvent(
        kind=EventKind.DECISION,
        at=now,
        actor="pipeline:route",
        episode=change.after.episode,
        reason=f"matched route {route.path}, but receiver {route.receiver!r} has no channel: nothing is sent",
        detail={"route": route.path, "receiver": route.receiver, "channels": []},
    )
