"""Flapping in the pipeline. While an alert flaps, its changes page nobody: `FlapStage` holds it back in
every flush. Instead, the transaction that starts or ends a spell (a signal's, or the sweeper's) queues one
notice for each channel that was told about the alert, as an acknowledgement does (`FlapNotifier`):
"flapping, with its recent changes", then "flapping ended: firing (or resolved) for 15m". At the end the
group takes the outcome as told, so it does not announce it a second time."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert, AlertChange, AlertEvent, EventKind
from alerthub.domain.clock import utc_text
from alerthub.pipeline.batch import NOTIFIED_FIRING, Batch, Member, Muted, StageResult
from alerthub.pipeline.enqueue import PayloadBuilder, row
from alerthub.pipeline.flush_plan import decision
from alerthub.store import groups, outbox
from alerthub.store.events import append_events
from alerthub.store.outbox import NewNotification

BY = "flapping"
STARTED = "flapping"  # the notices' reasons
ENDED = "flapping ended"


class FlapStage:
    name = "flapping"

    def run(self, batch: Batch) -> StageResult:
        kept: list[Member] = []
        muted: list[Muted] = []
        for m in batch.members:
            since = m.alert.flap.since
            if since is not None:
                muted.append(Muted(m, BY, f"flapping since {utc_text(since)}: held back until it settles", self.name))
            elif m.muted_by == BY and m.alert.flap.settled_at is not None:
                kept.append(_told_at_settling(m))
            else:
                kept.append(m)
        return StageResult(batch.keep(tuple(kept)), tuple(muted))


def _told_at_settling(m: Member) -> Member:
    """The spell's end notice told the outcome: the group takes it as its own last word on the alert."""
    settled = m.alert.flap.settled_at
    state = NOTIFIED_FIRING if m.firing else m.notified_state
    return replace(m, notified_state=state, notified_severity=m.alert.severity.value, notified_at=settled)


class FlapNotifier:
    """The in-transaction hook: a notice to every channel told about an alert whose spell began or ended."""

    def __init__(self, builder: PayloadBuilder) -> None:
        self.builder = builder

    async def __call__(self, conn: AsyncConnection, changes: Sequence[AlertChange], now: datetime) -> None:
        noted = {c.after.id: (c.after, e) for c in changes for e in c.events if e.kind is EventKind.FLAPPING}
        if not noted:
            return
        told = await outbox.notified_channels(conn, [aid for aid in noted if aid is not None])
        channels: dict[tuple[str, str, int], set[str]] = defaultdict(set)
        for t in told:
            channels[(t.group_key, t.receiver, t.alert_id)].add(t.channel)
        known = await groups.get(conn, {key for key, _, _ in channels})
        flush_id = uuid.uuid4().hex[:12]
        rows: list[NewNotification] = []
        decisions: list[tuple[int, AlertEvent]] = []
        for (key, receiver, aid), names in sorted(channels.items()):
            a, event = noted[aid]
            rows += self._rows(
                a, event, key, receiver, known[key].group_labels if key in known else {}, names, now, flush_id
            )
            decisions.append((aid, _decision(a, event, now, key, sorted(names))))
        await outbox.enqueue(conn, rows)
        await append_events(conn, decisions)

    def _rows(
        self,
        a: Alert,
        event: AlertEvent,
        key: str,
        receiver: str,
        labels: dict[str, str],
        names: set[str],
        now: datetime,
        flush_id: str,
    ) -> list[NewNotification]:
        reason = STARTED if a.flap.since is not None else ENDED
        payload = self.builder.payload(receiver, key, labels, [a], reason)
        payload = replace(payload, alerts=tuple(replace(s, flapping=event.reason) for s in payload.alerts))
        # One alert's notice per channel: the alert's id keeps two alerts of one group apart.
        salt, kind = f"{reason}:{a.id}", reason.replace(" ", "_")
        return [row(payload, ch, now, flush_id, kind=kind, salt=salt, alert_ids=(a.id or 0,)) for ch in sorted(names)]


def _decision(a: Alert, event: AlertEvent, now: datetime, key: str, channels: list[str]) -> AlertEvent:
    why = f"{event.reason}: notice queued for {', '.join(channels)}"
    return decision(a, now, "flapping", why, group_key=key, channels=channels)
