"""The notices about mutes, driven: the loop that notices a silence or time interval has ended and tells
each receiver it held back what fired and resolved inside it (pipeline/mute_summary.py), and warns the
receivers of a silence about to end while what it holds back still fires (pipeline/silence_expiry.py).

A summary is one write transaction: the ended mutes' log entries are deleted (`RETURNING` says which
this transaction took, so a second instance that reached them too summarises nothing twice), their
summaries queued in the outbox and noted in the alerts' histories, all committed together. A warning
is queued in the transaction that marks it given, once per silence end and route."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from alerthub.channels.registry import CHANNEL_TYPES
from alerthub.domain.clock import Clock
from alerthub.loops import every
from alerthub.oncall.roster import Roster
from alerthub.pipeline.mute_summary import ended, summarise
from alerthub.pipeline.setup import PipelineSetup
from alerthub.pipeline.silence_expiry import due, longest_lead, rows
from alerthub.services.paging import PageRoute
from alerthub.store import alerts as alert_store
from alerthub.store import mute_log, outbox, silences
from alerthub.store.database import Database
from alerthub.store.events import append_events
from alerthub.store.outbox import NewNotification
from alerthub.telemetry import LoopFailureLog, Metrics

logger = logging.getLogger(__name__)

# How late, at most, a mute's end is noticed; time intervals end on the minute.
SUMMARISE_EVERY = timedelta(seconds=15)


class MuteNotices:
    """`setup`: the running configuration's pipeline setup, looked up at each pass (reloads replace it)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: Metrics,
        setup: Callable[[], PipelineSetup],
        wake_delivery: asyncio.Event,
        people: Callable[[], tuple[Roster, PageRoute]] | None = None,
    ) -> None:
        """`people`: the running roster and channels, to reach a silence's creator (none: receivers only)."""
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.setup = setup
        self.people = people
        self.wake_delivery = wake_delivery
        self.log_failure = LoopFailureLog(logger, "mute notices pass failed")

    async def run_once(self) -> int:
        """Summarise every mute that has ended and warn of silences ending soon; returns how many
        messages were queued."""
        setup, now = self.setup(), self.clock()
        queued = await self.send_summaries(setup, now) + await self.send_warnings(setup, now)
        if queued:
            self.wake_delivery.set()
        return queued

    async def send_summaries(self, setup: PipelineSetup, now: datetime) -> int:
        async with self.db.write() as conn:
            logged = await mute_log.logged(conn)
            if not logged:
                return 0
            in_force = {f"silence:{s.id}" for s in await silences.active(conn, now)}
            done = set(await mute_log.take(conn, ended(logged, setup, in_force, now)))
            taken = [m.entry for m in logged if m.id in done]
            if not taken:
                return 0
            alerts = {a.id or 0: a for a in await alert_store.get_many(conn, {e.alert_id for e in taken})}
            named = {e.cause.removeprefix("silence:") for e in taken if e.cause.startswith("silence:")}
            found = {i: s for i in sorted(named) if (s := await silences.get(conn, i)) is not None}
            summaries = summarise(taken, alerts, found, setup, now, uuid.uuid4().hex[:12])
            await outbox.enqueue(conn, summaries.rows)
            await append_events(conn, summaries.decisions)
        return len(summaries.rows)

    async def send_warnings(self, setup: PipelineSetup, now: datetime) -> int:
        lead = longest_lead(setup)
        if not lead:
            return 0
        async with self.db.write() as conn:
            ending = [s for s in await silences.active(conn, now) if s.ends_at - now <= lead]
            members = await mute_log.muted_members(conn, [f"silence:{s.id}" for s in ending])
            warnings = due(ending, members, setup, now)
            if not warnings:
                return 0
            alerts = {
                a.id or 0: a for a in await alert_store.get_many(conn, {i for w in warnings for i in w.alert_ids})
            }
            queued: list[NewNotification] = []
            flush_id = uuid.uuid4().hex[:12]
            for w in warnings:
                if await mute_log.first_warning(conn, w.silence.id, w.silence.ends_at, w.route_path, now):
                    queued += self._to_creator(rows(w, alerts, setup, now, flush_id), w.silence.created_by)
            await outbox.enqueue(conn, queued)
        return len(queued)

    def _to_creator(self, queued: list[NewNotification], creator: str) -> list[NewNotification]:
        """The warning reaches the silence's creator too, when they are a person with a contact on one of
        the channels: mentioned in a chat channel's message, or sent a copy of their own (mail, Telegram)."""
        if self.people is None:
            return queued
        roster, routes = self.people()
        out: list[NewNotification] = []
        for r in queued:
            kind = routes.channel_types.get(r.channel, "")
            if not roster.address(creator, kind):
                out.append(r)
                continue
            addressed = replace(r, payload=replace(r.payload, paged=(creator,)))
            if kind in CHANNEL_TYPES and CHANNEL_TYPES[kind].pages_by == "direct":
                out += [r, replace(addressed, idempotency_key=f"{r.idempotency_key}-creator")]
            else:
                out.append(addressed)
        return out

    async def run(self, stop: asyncio.Event) -> None:
        await every(SUMMARISE_EVERY.total_seconds(), stop, self.run_once, self._failed)

    def _failed(self) -> None:
        self.log_failure()
        self.metrics.loop_errors.labels("mute_notices").inc()
