"""Half a year of a hub's life for the retention tests, made through the real ingest, pipeline, actions
and outbox calls with a clock the test moves: alerts that fired, were acknowledged, resolved, fired
again; their notifications marked delivered as the delivery worker would record them; silences."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from alerthub.config.models import Config
from alerthub.domain.notification import NotificationStatus
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.silence import LabelMatcher, Silence
from alerthub.hub import Hub
from alerthub.store import deliveries
from alerthub.store import silences as silence_store
from alerthub.store.tables import alert, alert_event, alert_group_member, notification, notification_alert, silence
from support.clock import FakeClock

DAY = timedelta(days=1)
RULE = "system_memory_high"
CONFIG: dict[str, Any] = {
    "rules": [{"name": "slow_queue", "source": "api", "for": "1h", "thresholds": {"warning": 1}}],
    "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
    "route": {"receiver": "discord", "group_by": ["service"], "group_wait": "0s", "group_interval": "1m"},
}


def history_config(**storage: Any) -> Config:
    return Config.model_validate({**CONFIG, "storage": storage} if storage else CONFIG)


@dataclass
class History:
    """`ids`: alert name -> id; `start`: day 0. Built to day 200, where `now` is left."""

    hub: Hub
    clock: FakeClock
    start: datetime
    ids: dict[str, int] = field(default_factory=dict)
    silences: dict[str, str] = field(default_factory=dict)
    undelivered: set[int] = field(default_factory=set)  # notifications left pending for good

    def day(self, n: float) -> datetime:
        return self.start + n * DAY

    async def on(self, day: float) -> None:
        """Move to `day`, flushing due groups and delivering on the way like the loops would."""
        self.clock.now = self.day(day)
        await self.settle()

    async def settle(self, *, leave_pending: bool = False) -> None:
        self.clock.advance(minutes=2)
        await self.hub.pipeline.dispatcher.run_once()
        await self.deliver(leave_pending=leave_pending)

    async def fire(self, name: str, rule: str = RULE, value: float = 97) -> None:
        [result] = await self.hub.ingest.ingest([Signal(rule, "api", value=value, labels={"service": name})])
        assert result.alert_id is not None
        self.ids[name] = result.alert_id

    async def clear(self, name: str) -> None:
        await self.hub.ingest.ingest([Signal(RULE, "api", labels={"service": name}, status=SignalStatus.RESOLVED)])

    async def deliver(self, *, leave_pending: bool = False) -> None:
        """Every pending notification sent now, as the delivery worker records a success; with
        `leave_pending` they stay pending for good (a channel that never came back)."""
        async with self.hub.db.write() as conn:
            pending = select(notification.c.id).where(notification.c.status == NotificationStatus.PENDING.value)
            ids = set((await conn.execute(pending)).scalars()) - self.undelivered
            if leave_pending:
                self.undelivered |= ids
                return
            await deliveries.mark_sent(conn, [(i, self.clock.now, None, False) for i in sorted(ids)])

    async def silence(self, name: str, ends_day: float) -> None:
        now = self.clock.now
        s = Silence(str(uuid.uuid4()), (LabelMatcher("service", name),), now, self.day(ends_day), "kim", "", now, now)
        async with self.hub.db.write() as conn:
            await silence_store.add(conn, s)
        self.silences[name] = s.id


async def build_history(hub: Hub, clock: FakeClock) -> History:
    """Day 0: a, b, c, d, e fire (c is acknowledged), g goes pending and stays so. Day 1: a, d, e
    resolve. Day 100: f fires, resolving on day 105 with its resolution notice never delivered. Day 150:
    d and e fire again; d resolves again on day 175. Silences end on days 194, 196 and 201. Now: day 200."""
    h = History(hub, clock, clock.now)
    for name in "abcde":
        await h.fire(name)
    await h.fire("g", rule="slow_queue", value=5)
    await h.settle()
    await hub.alerts.acknowledge(h.ids["c"], "kim")
    await h.settle()
    await h.on(1)
    for name in "ade":
        await h.clear(name)
    await h.settle()
    await h.on(100)
    await h.fire("f")
    await h.settle()
    await h.on(105)
    await h.clear("f")
    await h.settle(leave_pending=True)
    await h.on(150)
    await h.fire("d")
    await h.fire("e")
    await h.settle()
    await h.on(175)
    await h.clear("d")
    await h.settle()
    for name, ends in (("old", 194), ("recent", 196), ("active", 201)):
        await h.silence(name, ends)
    clock.now = h.day(200)
    return h


async def snapshot(h: History) -> dict[str, Any]:
    """What is stored, by alert name: alerts, event and membership counts, notifications as
    (alert names, day created, status), silence names."""
    names = {v: k for k, v in h.ids.items()}
    async with h.hub.db.read() as conn:
        alerts = sorted(names[i] for i in (await conn.execute(select(alert.c.id))).scalars())
        events = await _per_alert(conn, alert_event.c.alert_id, names)
        members = await _per_alert(conn, alert_group_member.c.alert_id, names)
        links: dict[int, list[str]] = {}
        for nid, aid in (await conn.execute(select(notification_alert))).all():
            links.setdefault(nid, []).append(names[aid])
        rows = (await conn.execute(select(notification.c.id, notification.c.created_at, notification.c.status))).all()
        kept_silences = set((await conn.execute(select(silence.c.id))).scalars())
    return {
        "alerts": alerts,
        "events": events,
        "memberships": members,
        "notifications": sorted(
            ("".join(sorted(links.get(r.id, []))), (r.created_at - h.start).days, r.status) for r in rows
        ),
        "silences": sorted(name for name, sid in h.silences.items() if sid in kept_silences),
    }


async def _per_alert(conn: Any, column: Any, names: dict[int, str]) -> dict[str, int]:
    rows = (await conn.execute(select(column, func.count()).group_by(column))).all()
    return {names[a]: n for a, n in rows}
