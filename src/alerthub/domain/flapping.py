"""Flapping: an alert that keeps changing between firing and resolved. Plain data; counting the changes is
rules/flapping.py, holding back the messages pipeline/flapping.py, ending a spell the sweeper's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class FlapPolicy:
    """More than `changes` firing/resolved changes within `window` make an alert flapping; once it has
    held one state for `settle`, the spell ends."""

    window: timedelta = timedelta(hours=1)
    changes: int = 4
    settle: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class FlapState:
    """`changes`: the recent firing/resolved changes, oldest first (within the policy's window, bounded);
    `since`: flapping since then (None: not flapping); `settled_at`: when the last spell ended."""

    changes: tuple[datetime, ...] = ()
    since: datetime | None = None
    settled_at: datetime | None = None

    @property
    def flapping(self) -> bool:
        return self.since is not None


NOT_FLAPPING = FlapState()
