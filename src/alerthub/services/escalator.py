"""Escalation, driven: the loop that takes each escalation's step when it falls due and pages the people it
names, until someone acknowledges or the alert resolves.

A step is one write transaction: the alert locked first (as ingest and acknowledgements lock it, so the
step sees an acknowledgement committed a moment before), the escalation read again and moved by
compare-and-set, its pages written to the outbox, the step in the alert's history. A crash before the
commit leaves the step due; a second instance that reaches the row finds it moved and does nothing. A
page is an outbox row like any other (retries, pacing, the delivery log), addressed to people by name:
their contacts are looked up when it is sent."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert, AlertChange, AlertEvent, AlertState, EventKind
from alerthub.domain.clock import Clock, utc_text_or_none
from alerthub.domain.escalation import Escalation, EscalationPolicy
from alerthub.domain.notification import NotificationPayload, NotificationStatus
from alerthub.ingest.hooks import Hooks
from alerthub.loops import nap, wake_on
from alerthub.oncall.escalation import AlertNow, Move, Reach, decide, reach
from alerthub.oncall.roster import Roster
from alerthub.pipeline.enqueue import PayloadBuilder
from alerthub.rules.lifecycle import lapse_acknowledgement
from alerthub.services.paging import PageRoute, page_groups
from alerthub.store import alerts as alert_store
from alerthub.store import escalations, outbox, overrides
from alerthub.store.database import Database
from alerthub.store.events import append_events
from alerthub.store.outbox import PAGE, NewNotification
from alerthub.telemetry import LoopFailureLog, Metrics

logger = logging.getLogger(__name__)

REASON = "escalation"  # the notification reason of a page
_PER_PASS = 100
_MAX_SLEEP = 5.0  # another instance's new escalations are found at least this often
_ERROR_PAUSE = 1.0


@dataclass(frozen=True, slots=True)
class _Taken:
    saved: list[AlertChange]
    pages: int


class Escalator:
    """`routes`: how to page over each channel (its type's addressing) and which channels each receiver
    has; `roster`: people and schedules."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: Metrics,
        *,
        policies: Mapping[str, EscalationPolicy],
        roster: Roster,
        routes: PageRoute,
        builder: PayloadBuilder,
        hooks: Hooks,
        wake: asyncio.Event,
        wake_delivery: asyncio.Event,
    ) -> None:
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.policies = policies
        self.roster = roster
        self.routes = routes
        self.builder = builder
        self.hooks = hooks
        self.wake = wake
        self.wake_delivery = wake_delivery
        self.log_failure = LoopFailureLog(logger, "escalation pass failed")

    async def run_once(self) -> int:
        """Take every step due now (up to a pass's worth); returns how many escalations moved."""
        async with self.db.read() as conn:
            due = await escalations.due(conn, self.clock(), _PER_PASS)
        moved, paged = 0, False
        for esc in due:
            try:
                taken = await self._step(esc)
            except Exception:
                # One escalation that fails (its step is retried at the next pass) must not hold back
                # the others due with it.
                logger.exception("escalation step failed", extra={"escalation": esc.id, "alert_id": esc.alert_id})
                self.metrics.loop_errors.labels("escalation").inc()
                continue
            if taken is None:
                continue
            moved += 1
            self.hooks.run_after_commit(taken.saved)
            paged = paged or taken.pages > 0
        if paged:  # once the whole pass is queued: the pages of alerts escalating together go as one
            self.wake_delivery.set()
        return moved

    async def _step(self, due: Escalation) -> _Taken | None:
        async with self.db.write() as conn:
            found = await alert_store.get(conn, due.alert_id, for_update=True)
            esc = await escalations.get(conn, due.id)
            now = self.clock()
            if esc is None or esc.state.is_over or esc.next_at is None or esc.next_at > now:
                return None  # moved meanwhile, by another instance or an acknowledgement
            move = decide(esc, self.policies.get(esc.policy), _alert_now(found), now)
            after = replace(
                esc,
                state=move.state,
                cycle=move.cycle,
                round=move.round,
                step=move.step,
                next_at=move.next_at,
                updated_at=now,
                note=move.note,
            )
            if not await escalations.advance(conn, esc, after):
                return None
            saved: list[AlertChange] = []
            if move.lapse and found is not None:
                found, saved = await self._lapse(conn, found, esc, move, now)
            rows: list[NewNotification] = []
            if move.take is not None and found is not None:
                rows, reached = await self._pages(conn, esc, move, found, now)
                await outbox.enqueue(conn, rows)
                event = _page_event(esc, move, reached, rows, now)
                await append_events(conn, [(esc.alert_id, event)])
                await escalations.note(conn, esc, event.reason or move.note, event.detail.get("people", []))
            elif move.state is not esc.state:
                await append_events(conn, [(esc.alert_id, _event(esc, move, now, move.note))])
        return _Taken(saved, len(rows))

    async def _lapse(
        self, conn: AsyncConnection, found: Alert, esc: Escalation, move: Move, now: datetime
    ) -> tuple[Alert, list[AlertChange]]:
        change = lapse_acknowledgement(found, f"escalation:{esc.policy}", move.note, now)
        if change is None:
            return found, []
        saved = await alert_store.save_changes(conn, [change])
        await self.hooks.run_in_transaction(conn, saved, now)
        return saved[0].after, saved

    async def _pages(
        self, conn: AsyncConnection, esc: Escalation, move: Move, found: Alert, now: datetime
    ) -> tuple[list[NewNotification], Reach]:
        assert move.take is not None
        reached = reach(move.take, self.roster, await overrides.not_ended(conn, now), now)
        via = move.take.via or self.routes.receivers.get(esc.receiver, ())
        base = self.builder.payload(esc.receiver, f"escalation:{esc.id}", {}, [found], REASON)
        note = f"{move.label}: {move.note}"
        messages, unreachable = page_groups(reached, esc.receiver, via, self.routes, self.roster)
        rows = [
            _row(esc, replace(base, receiver=receiver, paged=people, page_note=note), channel, now)
            for receiver, channel, people in messages
        ]
        gaps = tuple(f"{p} has no contact for {', '.join(via)}" for p in unreachable)
        return rows, replace(reached, gaps=reached.gaps + gaps)

    async def run(self, stop: asyncio.Event) -> None:
        stopping = asyncio.ensure_future(wake_on(stop, self.wake))
        try:
            while not stop.is_set():
                self.wake.clear()
                try:
                    moved = await self.run_once()
                    pause = 0.0 if moved >= _PER_PASS else await self._seconds_to_next()
                except Exception:
                    self.log_failure()
                    self.metrics.loop_errors.labels("escalation").inc()
                    pause = _ERROR_PAUSE
                await nap(self.wake, pause)
        finally:
            stopping.cancel()

    async def _seconds_to_next(self) -> float:
        async with self.db.read() as conn:
            due = await escalations.next_due(conn)
        if due is None:
            return _MAX_SLEEP
        return min(max((due - self.clock()).total_seconds(), 0.0), _MAX_SLEEP)


def _alert_now(found: Alert | None) -> AlertNow:
    if found is None:
        return AlertNow(None, 0)
    return AlertNow(found.state, found.episode, found.acknowledged_by, found.acknowledged_at)


def _row(esc: Escalation, payload: NotificationPayload, channel: str, now: datetime) -> NewNotification:
    """One page: its key names the escalation's step, the channel and the people, so it is written once."""
    who = ",".join(payload.paged)
    step = f"{esc.id}\x00{esc.cycle}\x00{esc.round}\x00{esc.step}\x00{payload.receiver}\x00{channel}\x00{who}"
    key = "page-" + hashlib.sha256(step.encode()).hexdigest()[:40]
    return NewNotification(
        idempotency_key=key,
        group_key=payload.group_key,
        receiver=payload.receiver,
        channel=channel,
        kind=PAGE,
        status=NotificationStatus.PENDING,
        payload=payload,
        created_at=now,
        next_attempt_at=now,
        thread_key=key,  # a page starts its own message: it never edits the group's
        alert_ids=tuple(a.id for a in payload.alerts),
    )


def _page_event(
    esc: Escalation, move: Move, reached: Reach, rows: Sequence[NewNotification], now: datetime
) -> AlertEvent:
    people = sorted({p for r in rows for p in r.payload.paged})
    channels = sorted({r.channel for r in rows})
    said = f"paged {', '.join(people)}" if people else "paged nobody by name"
    text = f"{move.label}: {said} via {', '.join(channels) or 'no channel'} ({move.note})"
    if reached.gaps:
        text += "; " + "; ".join(reached.gaps)
    event = _event(esc, move, now, text)
    return replace(event, detail={**event.detail, "people": people, "channels": channels, "step": move.label})


def _event(esc: Escalation, move: Move, now: datetime, text: str) -> AlertEvent:
    detail = {
        "policy": esc.policy,
        "receiver": esc.receiver,
        "state": move.state.value,
        "next_at": utc_text_or_none(move.next_at),
    }
    return AlertEvent(EventKind.ESCALATION, now, f"escalation:{esc.policy}", esc.episode, reason=text, detail=detail)


async def wake_escalations(conn: AsyncConnection, changes: Sequence[AlertChange], now: datetime) -> None:
    """The in-transaction hook: an acknowledgement or a resolution makes the alert's escalations due at
    once, so they stop now (or start counting the acknowledgement's `ack_timeout`)."""
    await escalations.wake(conn, [c.after.id for c in changes if c.after.id is not None and _handles(c)], now)


def handled(changes: Sequence[AlertChange]) -> bool:
    """Whether an after-commit hook should wake the escalation loop for these changes."""
    return any(_handles(c) for c in changes)


def _handles(change: AlertChange) -> bool:
    """An acknowledgement or a resolution of an alert that was open."""
    before = change.before
    after = change.after.state
    return before is not None and before.state != after and after in (AlertState.ACKNOWLEDGED, AlertState.RESOLVED)
