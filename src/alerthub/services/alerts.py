"""What a person does to an alert, and what they read about it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from alerthub.domain.alert import Alert, AlertChange, AlertEvent, AlertState, EventKind
from alerthub.domain.clock import Clock
from alerthub.domain.escalation import Escalation
from alerthub.domain.notification import Notification, NotificationPayload
from alerthub.errors import ConflictError, NotFoundError
from alerthub.ingest.hooks import Hooks
from alerthub.pipeline.inhibit import InhibitRule
from alerthub.rules.lifecycle import acknowledge, resolve
from alerthub.services.muting import NOT_MUTED, MuteState, read_judge
from alerthub.store import alert_queries, deliveries, escalations, events, notifications
from alerthub.store import alerts as alert_store
from alerthub.store.database import Database


@dataclass(frozen=True)
class AlertDetail:
    alert: Alert
    history: list[AlertEvent]
    notifications: list[Notification]
    muting: MuteState = NOT_MUTED
    escalations: list[Escalation] = field(default_factory=list)


class AlertService:
    def __init__(
        self, db: Database, clock: Clock, hooks: Hooks | None = None, inhibit_rules: Sequence[InhibitRule] = ()
    ) -> None:
        self.db = db
        self.clock = clock
        self.hooks = hooks or Hooks()
        self.inhibit_rules = tuple(inhibit_rules)

    async def list(
        self, flt: alert_queries.AlertFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[Alert], str | None]:
        async with self.db.read() as conn:
            return await alert_queries.list_alerts(conn, flt, limit=limit, cursor=cursor)

    async def mutes(self, alerts: Sequence[Alert]) -> dict[int, MuteState]:
        """What mutes each of `alerts` that is muted, by id; the same few reads however many they are."""
        async with self.db.read() as conn:
            judge = await read_judge(conn, self.clock(), self.inhibit_rules, alerts)
        return judge.judge_all(alerts)

    async def get(self, alert_id: int) -> AlertDetail:
        async with self.db.read() as conn:
            found = await alert_store.get(conn, alert_id)
            if found is None:
                raise NotFoundError(f"no alert with id {alert_id}")
            history = await events.history(conn, alert_id)
            sent = await notifications.for_alert(conn, alert_id)
            judge = await read_judge(conn, self.clock(), self.inhibit_rules, [found])
            running = await escalations.of_alert(conn, alert_id)
        return AlertDetail(found, history, sent, judge.judge(found), running)

    async def trace(self, alert_id: int) -> AlertDetail:
        return await self.get(alert_id)

    async def acknowledge(self, alert_id: int, who: str, comment: str = "") -> Alert:
        def act(a: Alert) -> AlertChange:
            if a.state is not AlertState.FIRING:
                raise ConflictError(f"alert {alert_id} is {a.state.value}; only a firing alert can be acknowledged")
            change = acknowledge(a, f"user:{who}", comment or "acknowledged", self.clock(), comment)
            assert change is not None
            return change

        return await self._act(alert_id, act)

    async def acknowledge_many(self, episodes: Mapping[int, int], who: str, comment: str = "") -> tuple[Alert, ...]:
        """Acknowledge, in one transaction, each alert (id -> episode) still firing in that episode; the
        others (acknowledged or resolved since, fired again, gone) are left as they are."""
        async with self.db.write() as conn:
            found = await alert_store.get_many(conn, episodes, for_update=True)
            now = self.clock()
            changes = [
                change
                for a in found
                if a.episode == episodes[a.id or 0]
                and (change := acknowledge(a, f"user:{who}", comment or "acknowledged", now, comment))
            ]
            if not changes:
                return ()
            saved = await alert_store.save_changes(conn, changes)
            await self.hooks.run_in_transaction(conn, saved, now)
        self.hooks.run_after_commit(saved)
        return tuple(c.after for c in saved)

    async def listed_by(self, notification_id: int) -> tuple[Alert, ...]:
        """The alerts a sent message listed that are still in the episode it told of, as they are now."""
        async with self.db.read() as conn:
            row = await deliveries.get(conn, notification_id)
            if row is None:
                raise NotFoundError(f"no message with id {notification_id}: it was pruned")
            told = {a.id: a.episode for a in NotificationPayload.from_json(row.payload).alerts}
            found = await alert_store.get_many(conn, told)
        return tuple(a for a in found if a.episode == told[a.id or 0])

    async def resolve(self, alert_id: int, who: str, comment: str = "") -> Alert:
        def act(a: Alert) -> AlertChange:
            if a.state is AlertState.RESOLVED:
                raise ConflictError(f"alert {alert_id} is already resolved")
            return resolve(a, f"user:{who}", comment or "resolved by hand", self.clock())

        return await self._act(alert_id, act)

    async def comment(self, alert_id: int, who: str, text: str) -> AlertEvent:
        """A note in the alert's history (its current episode); changes nothing else."""
        async with self.db.write() as conn:
            found = await alert_store.get(conn, alert_id)
            if found is None:
                raise NotFoundError(f"no alert with id {alert_id}")
            note = AlertEvent(EventKind.COMMENT, self.clock(), f"user:{who}", found.episode, reason=text)
            return await events.append_event(conn, alert_id, note)

    async def _act(self, alert_id: int, act: Callable[[Alert], AlertChange]) -> Alert:
        async with self.db.write() as conn:
            found = await alert_store.get(conn, alert_id, for_update=True)
            if found is None:
                raise NotFoundError(f"no alert with id {alert_id}")
            saved = await alert_store.save_changes(conn, [act(found)])
            await self.hooks.run_in_transaction(conn, saved, self.clock())
        self.hooks.run_after_commit(saved)
        return saved[0].after


__all__ = ["AlertDetail", "AlertService", "EventKind"]
