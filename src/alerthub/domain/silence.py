"""A silence: matchers plus a time span, created by a person. Plain data; matching lives in pipeline/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from alerthub.domain.recurrence import Recurrence


class SilenceState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class LabelMatcher:
    """Alertmanager's matcher object: `isEqual` false turns `=` into `!=` and `=~` into `!~`."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    matchers: tuple[LabelMatcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    updated_at: datetime
    # Alertmanager's free-form silence annotations (newer amtool and Grafana send them); shown, never matched.
    annotations: dict[str, str] = field(default_factory=dict, hash=False)
    # A silence that comes back (every Sunday 02:00-04:00): it mutes only inside its occurrences, which
    # start from `starts_at` and end by `ends_at`.
    recurrence: Recurrence | None = None

    def state(self, now: datetime) -> SilenceState:
        if now >= self.ends_at:
            return SilenceState.EXPIRED
        if now < self.starts_at:
            return SilenceState.PENDING
        if self.recurrence is None:
            return SilenceState.ACTIVE
        window = self.window(now)
        if window is None:
            return SilenceState.EXPIRED
        return SilenceState.ACTIVE if window[0] <= now < window[1] else SilenceState.PENDING

    def window(self, now: datetime) -> tuple[datetime, datetime] | None:
        """When it mutes, now or next: its own span, or (recurring) the occurrence in force or the next
        one, cut at `ends_at`; None when no occurrence is left."""
        if self.recurrence is None:
            return self.starts_at, self.ends_at
        found = self.recurrence.window(self.starts_at, max(now, self.starts_at))
        if found is None or found[0] >= self.ends_at:
            return None
        return found[0], min(found[1], self.ends_at)
