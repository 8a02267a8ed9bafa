"""What a prune removes: the cut-off times it works to, and the count of rows per kind that went."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """Rows older than these go: alerts resolved before `resolved`, silences that ended before
    `silences`, delivered notifications created before `notifications`, logged signals received before
    `signals`."""

    resolved: datetime
    silences: datetime
    notifications: datetime
    signals: datetime


@dataclass(frozen=True, slots=True)
class PruneCounts:
    """Rows deleted (or, in a dry run, that would be), per kind."""

    alerts: int = 0
    events: int = 0
    memberships: int = 0
    notifications: int = 0
    silences: int = 0
    signals: int = 0

    def __add__(self, other: PruneCounts) -> PruneCounts:
        return PruneCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def items(self) -> list[tuple[str, int]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]
