"""A schedule: its own rotation, the layers that take precedence over it inside their restrictions, and
the overrides set at run time, which take precedence over everything. Pure: every answer is for an
instant the caller gives (from its injected clock), with the overrides the caller read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from alerthub.domain.oncall import OnCallNow, Override, Shift
from alerthub.oncall.rotation import Rotation

# How far `now_and_next` looks for the next change before it says "no change" (until: None).
HORIZON = timedelta(days=400)
_FIRST_LOOK = timedelta(days=14)


class Restriction(Protocol):
    """When a layer applies (a time interval of pipeline/timeintervals.py)."""

    def contains(self, moment: datetime) -> bool: ...

    def changes(self, start: datetime, end: datetime) -> list[datetime]: ...


@dataclass(frozen=True)
class Layer:
    rotation: Rotation
    restriction: Restriction | None = None
    name: str = ""

    def person_at(self, moment: datetime) -> str | None:
        if self.restriction is not None and not self.restriction.contains(moment):
            return None
        return self.rotation.person_at(moment)

    def edges(self, start: datetime, end: datetime) -> list[datetime]:
        found = list(self.rotation.starts(start, end))
        if self.restriction is not None:
            found += self.restriction.changes(start, end)
        return found


@dataclass(frozen=True)
class Schedule:
    name: str
    time_zone: str
    layers: tuple[Layer, ...]  # the schedule's own rotation first; later layers take precedence

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone in a rotation of this schedule, each once, in order of appearance."""
        return tuple(dict.fromkeys(p for layer in self.layers for p in layer.rotation.people))

    def on_call_at(self, moment: datetime, overrides: Iterable[Override] = ()) -> tuple[str, ...]:
        covering = sorted((o for o in overrides if o.schedule == self.name and o.covers(moment)), key=_order)
        if covering:
            return tuple(dict.fromkeys(o.person for o in covering))
        for layer in reversed(self.layers):
            person = layer.person_at(moment)
            if person is not None:
                return (person,)
        return ()

    def timeline(self, start: datetime, end: datetime, overrides: Sequence[Override] = ()) -> list[Shift]:
        """[start, end) cut where who is on call changes; a stretch with nobody has no people."""
        mine = [o for o in overrides if o.schedule == self.name]
        edges = {start, end}
        for layer in self.layers:
            edges.update(layer.edges(start, end))
        edges.update(t for o in mine for t in (o.starts_at, o.ends_at) if start < t < end)
        points = sorted(edges)
        out: list[Shift] = []
        for here, there in zip(points, points[1:], strict=False):
            people = self.on_call_at(here, mine)
            overridden = any(o.covers(here) for o in mine)
            if out and out[-1].people == people and out[-1].override == overridden:
                out[-1] = Shift(out[-1].start, there, people, overridden)
            else:
                out.append(Shift(here, there, people, overridden))
        return out

    def shifts(self, start: datetime, end: datetime, overrides: Sequence[Override] = ()) -> list[Shift]:
        """The shifts that overlap [start, end), cut to it; stretches with nobody on call left out."""
        return [s for s in self.timeline(start, end, overrides) if s.people]

    def now_and_next(self, moment: datetime, overrides: Sequence[Override] = ()) -> OnCallNow:
        look = _FIRST_LOOK
        while True:
            stretches = self.timeline(moment, moment + look, overrides)
            if len(stretches) > 1:
                first, second = stretches[0], stretches[1]
                return OnCallNow(self.name, first.people, first.end, second.people)
            if look >= HORIZON:
                return OnCallNow(self.name, stretches[0].people, None, ())
            look = min(look * 4, HORIZON)


def _order(o: Override) -> tuple[datetime, int]:
    return o.starts_at, o.id
