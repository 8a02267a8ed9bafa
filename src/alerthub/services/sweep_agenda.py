"""When the sweeper would next change an alert, worked out from each alert's own state so that a replay
runs the sweeper only then instead of every `SWEEP_EVERY` (a sweep is a write transaction: every 15
seconds of a simulated week was most of a replay's time).

It mirrors the sweeper's three reasons (services/sweeper.py): an open alert's `ends_at`, a pending
alert unseen for twice its rule's `for`, a flapping spell held for its policy's `settle`. The sweeper's
loop runs every `SWEEP_EVERY`: a due time is moved to the next tick of that grid, counted from `start`."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime

from alerthub.domain.alert import Alert, AlertChange, AlertState
from alerthub.domain.flapping import FlapPolicy
from alerthub.domain.rule import RuleLookup
from alerthub.services.sweeper import SWEEP_EVERY

_SLACK = 1024  # stale heap entries tolerated before the heap is rebuilt from the live ones


class SweepAgenda:
    """Each alert's next sweep time, and the earliest of them. A heap, since the earliest is asked for at
    every logged batch and an Alertmanager-fed hub has thousands of alerts with an `ends_at`; entries an
    alert's later change made stale are dropped when they reach the top."""

    def __init__(self, rules: RuleLookup, start: datetime) -> None:
        self.rules = rules
        self.start = start
        self._due: dict[int, datetime] = {}
        self._heap: list[tuple[datetime, int]] = []

    def heard(self, changes: Sequence[AlertChange]) -> None:
        """The after-commit hook: every alert change there is passes through here."""
        for change in changes:
            alert_id = change.after.id
            if alert_id is None:
                continue
            due = self._due_for(change.after)
            if due is None:
                self._due.pop(alert_id, None)
            elif self._due.get(alert_id) != (due := self._on_the_grid(due)):
                self._due[alert_id] = due
                heapq.heappush(self._heap, (due, alert_id))
        if len(self._heap) > 2 * len(self._due) + _SLACK:
            self._heap = [(due, alert_id) for alert_id, due in self._due.items()]
            heapq.heapify(self._heap)

    def next_due(self) -> datetime | None:
        while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def take_due(self, now: datetime) -> int:
        """Forget what is due by `now` (the sweep about to run handles it, and its changes come back
        through `heard`); how many there were."""
        taken = 0
        while (due := self.next_due()) is not None and due <= now:
            _, alert_id = heapq.heappop(self._heap)
            del self._due[alert_id]
            taken += 1
        return taken

    def _due_for(self, a: Alert) -> datetime | None:
        rule = self.rules.get(a.rule_name)
        found: list[datetime] = []
        if a.ends_at is not None and a.state is not AlertState.RESOLVED:
            found.append(a.ends_at)
        if a.state is AlertState.PENDING and rule is not None and rule.for_:
            found.append(a.last_seen + 2 * rule.for_)
        if a.flap.since is not None:
            policy = (rule.flapping if rule else None) or FlapPolicy()
            found.append(a.state_changed_at + policy.settle)
        return min(found, default=None)

    def _on_the_grid(self, due: datetime) -> datetime:
        ticks = -((self.start - due) // SWEEP_EVERY)  # ceiling: the first tick at or after `due`
        return self.start + max(ticks, 0) * SWEEP_EVERY
