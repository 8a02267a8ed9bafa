"""Replaying logged signals through the boxes the composition root builds for one configuration, on a
throwaway database, under a simulated clock.

The clock stands at each logged batch's arrival in turn; before it moves there, every timer due on the
way fires at its own time: group flushes (`group_wait`, `group_interval`, `repeat_interval`, through the
dispatcher's own pass), escalation steps (through the escalator's), and sweeps (`endsAt`, pending alerts
nobody refreshes, flapping spells that settle), at the tick of the sweeper's loop when one of those falls
due (services/sweep_agenda.py). Nothing is delivered: no delivery loop runs, rows stay in the outbox to be
counted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from alerthub.config.models import Config
from alerthub.domain.alert import AlertChange
from alerthub.domain.signal_log import LoggedSignal
from alerthub.ingest.hooks import Hooks
from alerthub.ingest.transaction import IngestService
from alerthub.pipeline.build import Pipeline
from alerthub.rules.ruleset import RuleSet
from alerthub.services.escalator import Escalator
from alerthub.services.sweep_agenda import SweepAgenda
from alerthub.services.sweeper import Sweeper
from alerthub.store import escalations, group_timers
from alerthub.store.database import Database
from alerthub.telemetry import Metrics

# Passes at one instant before the clock is nudged on: a due group that no pass takes (its lease held
# after a failed flush) would otherwise hold the replay at that instant for ever.
_STUCK_PASSES = 1000
_NUDGE = timedelta(seconds=1)
_SWEEP_LIMIT = 500  # what `Sweeper.sweep_once` takes of each kind at most


class SimulatedClock:
    """The replay's clock: it only moves forward, and only when the replay moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, when: datetime) -> None:
        self.now = max(self.now, when)


class Boxes(Protocol):
    """What a replay drives: the composition root's hub for one configuration has all of it."""

    @property
    def config(self) -> Config: ...
    @property
    def db(self) -> Database: ...
    @property
    def rules(self) -> RuleSet: ...
    @property
    def hooks(self) -> Hooks: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def ingest(self) -> IngestService: ...
    @property
    def pipeline(self) -> Pipeline: ...
    @property
    def escalator(self) -> Escalator: ...


class Replay:
    def __init__(self, boxes: Boxes, clock: SimulatedClock, counted_from: datetime) -> None:
        """`counted_from`: where the span starts after the warm-up; signals left out before it are not counted."""
        self.boxes = boxes
        self.clock = clock
        self.counted_from = counted_from
        self.sweeper = Sweeper(boxes.db, clock, boxes.hooks, boxes.metrics, boxes.rules)
        self.sweeps = SweepAgenda(boxes.rules, clock.now)
        self.pages = bool(boxes.config.escalation_policies)
        # The next group or escalation timer, read again only after something may have moved it.
        self._timer: datetime | None = None
        self._timer_known = False
        boxes.hooks.after_commit += [self.sweeps.heard, self._heard]
        # Signals left out, per rule name: the configuration has no rule of that name, and they came by
        # a path that accepts only known rules (ingest would have refused them).
        self.unknown: dict[str, int] = {}

    def _heard(self, changes: Sequence[AlertChange]) -> None:
        """A change with events may have made a group or an escalation due (the dispatcher's own test
        for waking its loop); a re-sent alert that changed nothing else cannot."""
        if any(c.events for c in changes):
            self._timer_known = False

    async def take(self, received_at: datetime, batch: Sequence[LoggedSignal]) -> None:
        """One logged ingest transaction, at its own time, after every timer due before it."""
        await self.run_timers(until=received_at)
        self.clock.move_to(received_at)
        counted = received_at >= self.counted_from
        signals = [ls.signal for ls in batch if self._known(ls, counted)]
        if signals:
            # Known rules are looked up as `require` would; passthrough paths get their own rule again.
            await self.boxes.ingest.ingest(signals, known_rules_only=False)

    def _known(self, logged: LoggedSignal, counted: bool) -> bool:
        name = logged.signal.rule_name
        if logged.passthrough or self.boxes.rules.get(name) is not None:
            return True
        if counted:
            self.unknown[name] = self.unknown.get(name, 0) + 1
        return False

    async def run_timers(self, until: datetime) -> None:
        """Every group flush, escalation step and sweep due up to `until`, each at its own time."""
        stuck, last = 0, None
        while (due := await self._next_due()) is not None and due <= until:
            stuck = stuck + 1 if due == last else 0
            last = due
            self.clock.move_to(due if stuck < _STUCK_PASSES else self.clock.now + _NUDGE)
            if self.sweeps.take_due(self.clock.now):
                while await self.sweeper.sweep_once() >= _SWEEP_LIMIT:
                    pass  # a sweep takes at most that many of each kind: the rest are due too
            if self._timer is not None and self._timer <= self.clock.now:
                self._timer_known = False
                await self.boxes.pipeline.dispatcher.run_once()
                if self.pages:
                    await self.boxes.escalator.run_once()

    async def _next_due(self) -> datetime | None:
        if not self._timer_known:
            self._timer = await self._next_timer()
            self._timer_known = True
        found = [t for t in (self._timer, self.sweeps.next_due()) if t is not None]
        return min(found) if found else None

    async def _next_timer(self) -> datetime | None:
        # On the writer, as the dispatcher reads its own timers: a read on SQLite's reader connection is a
        # round trip through another thread.
        async with self.boxes.db.write() as conn:
            groups = await group_timers.next_due(conn, self.clock.now)
            steps = await escalations.next_due(conn) if self.pages else None
        found = [t for t in (groups, steps) if t is not None]
        return min(found) if found else None
