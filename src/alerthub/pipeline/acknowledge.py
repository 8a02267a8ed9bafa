"""Acknowledgement notices: when a person acknowledges an alert, every channel that was told about it
gets an `acknowledged` message for its group at once, in the acknowledging transaction, so delivery
can edit the conversation it started ("acknowledged by ...")."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import ACK_COMMENT, Alert, AlertChange, AlertEvent, AlertState, EventKind
from alerthub.domain.notification import NotificationPayload
from alerthub.pipeline import dedup
from alerthub.pipeline.enqueue import PayloadBuilder, row
from alerthub.pipeline.grouping import is_acknowledgement
from alerthub.store import group_members, groups, outbox
from alerthub.store.events import append_events
from alerthub.store.outbox import NewNotification

KIND = "acknowledged"


class Acknowledger:
    def __init__(self, builder: PayloadBuilder) -> None:
        self.builder = builder

    async def __call__(self, conn: AsyncConnection, changes: Sequence[AlertChange], now: datetime) -> None:
        acked = {c.after.id: c.after for c in changes if is_acknowledgement(c) and c.after.id is not None}
        if not acked:
            return
        comments = {c.after.id: _comment(c) for c in changes if c.after.id in acked and _comment(c)}
        told = await outbox.notified_channels(conn, acked)
        channels: dict[tuple[str, str], set[str]] = defaultdict(set)
        about: dict[str, set[int]] = defaultdict(set)
        for t in told:
            channels[(t.group_key, t.receiver)].add(t.channel)
            about[t.group_key].add(t.alert_id)
        known = await groups.get(conn, about)
        flush_id = uuid.uuid4().hex[:12]
        rows: list[NewNotification] = []
        decisions: list[tuple[int, AlertEvent]] = []
        for (key, receiver), names in sorted(channels.items()):
            alerts = await self._alerts(conn, key, [acked[i] for i in sorted(about[key])])
            labels = known[key].group_labels if key in known else {}
            payload = _quoting(self.builder.payload(receiver, key, labels, alerts, dedup.ACKNOWLEDGED), comments)
            # Linked to the acknowledged alerts only: this transaction already holds them, and linking the
            # others would wait on any ingest changing them.
            linked = tuple(sorted(about[key]))
            rows += [row(payload, ch, now, flush_id, kind=KIND, salt=KIND, alert_ids=linked) for ch in sorted(names)]
            for aid in sorted(about[key]):
                a = acked[aid]
                why = f"acknowledged by {a.acknowledged_by}: notice queued for {', '.join(sorted(names))}"
                decisions.append((aid, _event(a, now, why, key, sorted(names))))
        await outbox.enqueue(conn, rows)
        await append_events(conn, decisions)

    @staticmethod
    async def _alerts(conn: AsyncConnection, key: str, acked: list[Alert]) -> list[Alert]:
        """The group as it stands (the acknowledged alert among them), so the edited message stays whole."""
        current = [m.alert for m in await group_members.members(conn, key) if m.alert.state is not AlertState.RESOLVED]
        ids = {a.id for a in current}
        return current + [a for a in acked if a.id not in ids]


def _comment(change: AlertChange) -> str:
    return next((str(e.detail[ACK_COMMENT]) for e in change.events if ACK_COMMENT in e.detail), "")


def _quoting(payload: NotificationPayload, comments: dict[int, str]) -> NotificationPayload:
    """The notice quotes what each acknowledging person wrote ("on it, rolling back")."""
    if not comments:
        return payload
    alerts = tuple(replace(s, acknowledged_comment=comments[s.id]) if s.id in comments else s for s in payload.alerts)
    return replace(payload, alerts=alerts)


def _event(a: Alert, now: datetime, reason: str, key: str, channels: list[str]) -> AlertEvent:
    return AlertEvent(
        kind=EventKind.DECISION,
        at=now,
        actor="pipeline:acknowledge",
        episode=a.episode,
        reason=reason,
        detail={"group_key": key, "channels": channels, "reason": dedup.ACKNOWLEDGED},
    )
