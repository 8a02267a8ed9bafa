"""Resolve alerts whose sender stopped re-sending them, as Alertmanager does with `endsAt`.

Prometheus re-sends a firing alert every evaluation with `endsAt` a few intervals ahead; when it stops,
the alert must resolve by itself, or a crashed Prometheus would leave alerts firing forever.

A pending alert (waiting out its rule's `for`) that gets no sample for twice that `for` is dropped the
same way, with a history line saying why: it cannot prove it held, and left alone it stays pending for
ever. It never fired, so nobody is told.

It also ends flapping spells: an alert in one that has held its state for its rule's `settle` stops
flapping, and the spell's end notice goes out (rules/flapping.py, pipeline/flapping.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from alerthub.domain.alert import Alert, AlertChange
from alerthub.domain.clock import Clock
from alerthub.domain.durations import format_duration
from alerthub.domain.flapping import FlapPolicy
from alerthub.domain.rule import RuleLookup
from alerthub.ingest.hooks import Hooks
from alerthub.loops import every
from alerthub.rules.flapping import settle, track
from alerthub.rules.lifecycle import resolve
from alerthub.store import alerts as alert_store
from alerthub.store.database import Database
from alerthub.telemetry import LoopFailureLog, Metrics

logger = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(seconds=15)  # also how late, at most, a flapping spell's end is noticed


class Sweeper:
    def __init__(
        self, db: Database, clock: Clock, hooks: Hooks, metrics: Metrics, rules: RuleLookup | None = None
    ) -> None:
        """`rules`: for dropping pending alerts nobody refreshes (without them, only `endsAt` is swept)."""
        self.db = db
        self.rules = rules
        self.shortest_for = min((r.for_ for r in rules or () if r.for_), default=None)
        self.clock = clock
        self.hooks = hooks
        self.metrics = metrics
        self.log_failure = LoopFailureLog(logger, "sweeping expired alerts failed")

    async def sweep_once(self) -> int:
        now = self.clock()
        async with self.db.write() as conn:
            due = await alert_store.expired(conn, now)
            changes = [self._flip(resolve(a, "rule:ends_at", "endsAt passed without a re-send", now), now) for a in due]
            if self.shortest_for is not None:
                swept = {a.id for a in due}
                unseen = await alert_store.pending_unseen_since(conn, now - 2 * self.shortest_for)
                changes += [c for a in unseen if a.id not in swept and (c := self._drop(a, now)) is not None]
            changed = {c.after.id for c in changes}
            changes += [
                c for a in await alert_store.flapping(conn) if a.id not in changed and (c := self._settle(a, now))
            ]
            saved = await alert_store.save_changes(conn, changes)
            await self.hooks.run_in_transaction(conn, saved, now)
        self.hooks.run_after_commit(saved)
        return len(saved)

    def _flip(self, change: AlertChange, now: datetime) -> AlertChange:
        """A resolution for want of a re-send counts towards flapping, as the sender's own would."""
        rule = self.rules.get(change.after.rule_name) if self.rules is not None else None
        return track(change, rule.flapping if rule else None, now, "rule:ends_at")

    def _settle(self, a: Alert, now: datetime) -> AlertChange | None:
        """A flapping spell ends once the alert has held its state for its rule's `settle` (the built-in
        policy's for an alert whose rule is gone)."""
        rule = self.rules.get(a.rule_name) if self.rules is not None else None
        return settle(a, (rule.flapping if rule else None) or FlapPolicy(), now)

    def _drop(self, a: Alert, now: datetime) -> AlertChange | None:
        rule = self.rules.get(a.rule_name) if self.rules is not None else None
        if rule is None or not rule.for_ or now - a.last_seen < 2 * rule.for_:
            return None
        unseen = format_duration(now - a.last_seen)
        reason = f"dropped while pending: no sample for {unseen}, twice its for ({format_duration(rule.for_)})"
        return resolve(a, "rule:for", reason + "; it never fired", now)

    async def run(self, stop: asyncio.Event) -> None:
        await every(SWEEP_EVERY.total_seconds(), stop, self.sweep_once, self._failed)

    def _failed(self) -> None:
        self.log_failure()
        self.metrics.loop_errors.labels("sweeper").inc()
