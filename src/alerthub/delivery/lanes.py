"""One channel's claimed rows on their way out: a sliding window of sends.

A row starts as soon as a slot is free and no earlier row of its conversation is still in flight or
unrecorded (`next_wave` picks them); outcomes are recorded in batches (whatever finished while the
last batch committed), and the worker may claim more rows while sends are in flight. What holds:
- at most `width` sends at once, each started only with a token from the channel's bucket and only if
  it can finish inside its lease (`Gate`);
- one row per conversation (thread key, else group key) between its start and its recorded outcome,
  so an acknowledgement or resolution never overtakes, nor misses the id of, the message it follows;
- a channel that sends one at a time (width 1) keeps its slot until the outcome is recorded: its
  answers (rate-limit headers, thread ids) are read before the next send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerthub.delivery.outcome import Outcome
from alerthub.domain.notification import Notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Gate:
    """What a lane asks its worker: may this row start now (lease, token), how to send it, and how to
    record outcomes or give rows back unsent."""

    covers: Callable[[Notification], bool]  # the send can finish inside the row's lease
    take: Callable[[], bool]  # a token from the channel's bucket
    attempt: Callable[[Notification], Awaitable[Outcome]]  # never raises
    record: Callable[[Sequence[Outcome]], Awaitable[object]]
    release: Callable[[Sequence[Notification]], Coroutine[Any, Any, None]]
    on_error: Callable[[], None]
    wake: asyncio.Event  # the worker's: set when this lane has room for a claim it was refused


def lease_covers_send(row: Notification, now: datetime, lease: timedelta, timeout: timedelta | None) -> bool:
    """Start a send only if it can finish before our lease ends. A batch of slow sends can outlast the
    lease; past it another instance may claim the row, and both would send it (a duplicate outside
    the crash window). The margin is the channel's timeout, capped at half the lease so a short
    lease still lets a pass start."""
    if row.claimed_until is None:
        return True
    margin = min(timeout, lease / 2) if timeout is not None else lease / 2
    return now + margin <= row.claimed_until


def key_of(row: Notification) -> str:
    return row.thread_key or row.group_key


def next_wave(
    rows: Sequence[Notification], width: int, busy: Set[str] = frozenset()
) -> tuple[list[Notification], list[Notification]]:
    """Up to `width` rows in order, at most one per conversation (thread, else group) and none of a
    conversation in `busy` (a row of it is still in flight); the rest keep their order for later."""
    wave: list[Notification] = []
    later: list[Notification] = []
    seen: set[str] = set(busy)
    for row in rows:
        key = key_of(row)
        (wave if len(wave) < width and key not in seen else later).append(row)
        seen.add(key)
    return wave, later


class Lane:
    def __init__(self, name: str, width: int) -> None:
        self.name = name
        self.width = width
        self.hold_until_recorded = width == 1
        self.queue: list[Notification] = []
        self.busy: set[str] = set()  # conversations with a row in flight or awaiting its record
        self.running: set[int] = set()  # row ids in flight or awaiting their record
        self.slots = 0
        self.done: list[Outcome] = []
        self.recording = False
        self.tasks: set[asyncio.Task[None]] = set()
        self.wanted = False  # a claim was cut short or refused: wake the worker once the queue is empty
        self.quiet = asyncio.Event()
        self.quiet.set()

    @property
    def has_queue(self) -> bool:
        return bool(self.queue)

    def add(self, rows: Sequence[Notification], gate: Gate) -> None:
        """Queue freshly claimed rows (a row claimed again after its lease ran out replaces its stale copy;
        one still in flight is left to that attempt) and start what may start."""
        fresh = {r.id: r for r in rows if r.id not in self.running}
        self.queue = [fresh.pop(r.id, r) for r in self.queue] + list(fresh.values())
        self.pump(gate)

    async def settled(self) -> None:
        await self.quiet.wait()

    def pump(self, gate: Gate) -> None:
        room = self.width - self.slots
        if room > 0 and self.queue:
            starting, self.queue = next_wave(self.queue, room, self.busy)
            for index, row in enumerate(starting):
                if not gate.covers(row):
                    continue  # stays claimed until the lease ends, then anyone (us too) claims it afresh
                if not gate.take():
                    self._spawn(gate.release([*starting[index:], *self.queue]))
                    self.queue = []
                    break
                self.slots += 1
                self.busy.add(key_of(row))
                self.running.add(row.id or 0)
                self._spawn(self._send(row, gate))
        if not self.queue and self.wanted:
            self.wanted = False
            gate.wake.set()
        self._check_quiet()

    async def _send(self, row: Notification, gate: Gate) -> None:
        try:
            outcome = await gate.attempt(row)
        except Exception:
            # `attempt` turns every failure into an outcome; should it not, the row keeps its lease and is
            # claimed again when that ends, and its conversation must not stay blocked meanwhile.
            logger.exception("sending notification %s on channel %s failed unexpectedly", row.id, self.name)
            gate.on_error()
            self.slots -= 1
            self._forget([row])
            self.pump(gate)
            return
        self.done.append(outcome)
        if not self.hold_until_recorded:
            self.slots -= 1
        if not self.recording:
            self.recording = True
            self._spawn(self._record(gate))
        self.pump(gate)

    async def _record(self, gate: Gate) -> None:
        """Record what has finished, in one transaction per batch, until nothing is left."""
        try:
            while self.done:
                batch, self.done = self.done, []
                try:
                    await gate.record(batch)
                except Exception:
                    # The rows keep their lease and are claimed again when it ends (at least once).
                    logger.exception("recording %d outcomes of channel %s failed", len(batch), self.name)
                    gate.on_error()
                self._forget([o.row for o in batch])
                if self.hold_until_recorded:
                    self.slots -= len(batch)
                self.pump(gate)
        finally:
            self.recording = False

    def _forget(self, rows: Sequence[Notification]) -> None:
        for row in rows:
            self.busy.discard(key_of(row))
            self.running.discard(row.id or 0)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        self.quiet.clear()
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("delivery to channel %s failed: %r", self.name, task.exception())
        self._check_quiet()

    def _check_quiet(self) -> None:
        if not self.tasks and not self.queue and not self.done:
            self.quiet.set()

    def drop_queue(self) -> list[Notification]:
        """Stop: the rows not started yet, for the worker to give back."""
        rows, self.queue = self.queue, []
        self._check_quiet()
        return rows

    def cancel(self) -> None:
        for task in list(self.tasks):
            task.cancel()
