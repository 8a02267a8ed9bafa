"""Who comes on call when, for the message each person gets as their shift starts: read off the schedule's
timeline (its rotation, layers, restrictions and overrides, as /api/oncall reads them), without I/O.

A person "comes on call" where they are on call and were not just before: an override that puts the
person already on call there again is no handoff, and neither is a layer handing over to the same person.
Only shifts that have not ended count: a hub that was down over a handoff tells the person on call now,
never a backlog of shifts already over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerthub.domain.oncall import Override, Shift
from alerthub.oncall.schedule import HORIZON, Schedule

# How far back a start is first looked for; each look goes four times further, up to HORIZON. A person
# on call without a break for longer than that is not told again.
_FIRST_BACK = timedelta(days=1)
_FIRST_AHEAD = timedelta(days=14)
# The timeline is cut at its end: a stretch that starts exactly at the moment asked about must be in it.
_TICK = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Handoff:
    """`person` comes on call for `schedule` at `start` until `end` (None: no change within HORIZON);
    after them `next` are on call from `next_at` (empty: nobody within HORIZON)."""

    schedule: str
    person: str
    start: datetime
    end: datetime | None
    next: tuple[str, ...] = ()
    next_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Run:
    """One person on call without a break, from `start` to `end` on a timeline cut to [since, until)."""

    person: str
    start: datetime
    end: datetime


def due(schedule: Schedule, now: datetime, ahead: timedelta, overrides: Sequence[Override] = ()) -> list[Handoff]:
    """Every shift that starts by `now + ahead` and has not ended by `now`, in order of start."""
    until = now + ahead + _TICK
    back = _FIRST_BACK
    while True:
        since = now - back
        runs = _runs(schedule.timeline(since, until, overrides))
        # Someone on call since the window opened and still: their shift's start lies further back.
        unknown = any(r.start == since and r.end > now for r in runs)
        if not unknown or back >= HORIZON:
            break
        back = min(back * 4, HORIZON)
    found = [r for r in runs if since < r.start <= now + ahead and r.end > now]
    return [_handoff(schedule, r, until, overrides) for r in sorted(found, key=lambda r: (r.start, r.person))]


def _runs(stretches: Sequence[Shift]) -> list[_Run]:
    """Each person's unbroken stretches of the (gapless) timeline, merged."""
    runs: list[_Run] = []
    open_: dict[str, _Run] = {}
    for stretch in stretches:
        for person in list(open_):
            if person not in stretch.people:
                runs.append(open_.pop(person))
        for person in stretch.people:
            run = open_.get(person)
            open_[person] = _Run(person, run.start if run else stretch.start, stretch.end)
    return runs + list(open_.values())


def _handoff(schedule: Schedule, run: _Run, until: datetime, overrides: Sequence[Override]) -> Handoff:
    end = run.end if run.end < until else leaves(schedule, run.person, run.start, overrides)
    if end is None:
        return Handoff(schedule.name, run.person, run.start, None)
    after = schedule.now_and_next(end, overrides)
    if after.on_call:
        return Handoff(schedule.name, run.person, run.start, end, after.on_call, end)
    return Handoff(schedule.name, run.person, run.start, end, after.next, after.until if after.next else None)


def leaves(schedule: Schedule, person: str, start: datetime, overrides: Sequence[Override] = ()) -> datetime | None:
    """When `person`, on call from `start`, is next not on call; None when not within HORIZON."""
    look = _FIRST_AHEAD
    while True:
        for stretch in schedule.timeline(start, start + look, overrides):
            if person not in stretch.people:
                return stretch.start
        if look >= HORIZON:
            return None
        look = min(look * 4, HORIZON)
