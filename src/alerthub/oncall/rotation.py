"""A rotation's arithmetic. Turns are measured on the schedule's clock: with a weekly turn handed over on
Monday at 09:00 in Europe/Berlin, every turn starts on a Monday at 09:00 there, so the turn that spans a
daylight-saving change is an hour shorter or longer. A turn whose wall-clock start does not exist (it
falls in the hour the clocks skip) starts when the clocks jump; one whose start happens twice (the
hour repeated in autumn) starts at the first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo


@dataclass(frozen=True)
class Rotation:
    every: timedelta
    handoff: datetime  # aware: the instant the first turn starts
    people: tuple[str, ...]
    zone: tzinfo
    _wall: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.every < timedelta(hours=1) or not self.people or self.handoff.tzinfo is None:
            raise ValueError("a rotation takes turns of at least 1h, an aware handoff and at least one person")
        object.__setattr__(self, "_wall", self.handoff.astimezone(self.zone).replace(tzinfo=None, fold=0))

    def start(self, turn: int) -> datetime:
        """When turn number `turn` starts (turn 0 at the handoff), in UTC."""
        if turn == 0:
            return self.handoff.astimezone(UTC)
        return first_instant(self._wall + turn * self.every, self.zone)

    def turn_at(self, moment: datetime) -> int | None:
        """The number of the turn that holds `moment`; None before the first handoff."""
        if moment < self.handoff:
            return None
        turn = (moment - self.handoff) // self.every  # elapsed time is within a few turns of the clock's
        while turn > 0 and self.start(turn) > moment:
            turn -= 1
        while self.start(turn + 1) <= moment:
            turn += 1
        return turn

    def person(self, turn: int) -> str:
        return self.people[turn % len(self.people)]

    def person_at(self, moment: datetime) -> str | None:
        turn = self.turn_at(moment)
        return None if turn is None else self.person(turn)

    def starts(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every turn's start strictly between start and end, in order."""
        turn = self.turn_at(start)
        turn = 0 if turn is None else turn + 1
        while (at := self.start(turn)) < end:
            if at > start:
                yield at
            turn += 1


def first_instant(wall: datetime, zone: tzinfo) -> datetime:
    """The first instant (UTC) at which a clock in `zone` shows `wall` (naive) or later."""
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if early.astimezone(zone).replace(tzinfo=None) == wall:
        return early  # it exists; fold=0 is its first reading when it happens twice
    # `wall` is skipped: the clocks jumped over it between these two readings of it.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(low, early), max(low, early)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)
