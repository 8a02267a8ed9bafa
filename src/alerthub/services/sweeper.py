"""Resolve alerts whose sender stopped re-sending them, as Alertmanager does with `endsAt`.

Prometheus re-sends a firing alert every evaluation with `endsAt` a few intervals ahead; when it stops,
the alert must resolve by itself, or a crashed Prometheus would leave alerts firing forever.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from alerthub.domain.clock import Clock
from alerthub.loops import wait_or_stop
from alerthub.rules.lifecycle import resolve
from alerthub.services.hooks import Hooks
from alerthub.store import alerts as alert_store
from alerthub.store.database import Database
from alerthub.telemetry import LoopFailureLog, Metrics

logger = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(seconds=15)


class Sweeper:
    def __init__(self, db: Database, clock: Clock, hooks: Hooks, metrics: Metrics) -> None:
        self.db = db
        self.clock = clock
        self.hooks = hooks
        self.metrics = metrics
        self.log_failure = LoopFailureLog(logger, "sweeping expired alerts failed")

    async def sweep_once(self) -> int:
        now = self.clock()
        async with self.db.write() as conn:
            due = await alert_store.expired(conn, now)
            changes = [resolve(a, "rule:ends_at", "endsAt passed without a re-send", now) for a in due]
            saved = await alert_store.save_changes(conn, changes)
            await self.hooks.run_in_transaction(conn, saved, now)
        self.hooks.run_after_commit(saved)
        return len(saved)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep_once()
            except Exception:
                self.log_failure()
                self.metrics.loop_errors.labels("sweeper").inc()
            await wait_or_stop(SWEEP_EVERY.total_seconds(), stop)
