"""A silence: matchers plus a time span, created by a person. Plain data; matching lives in pipeline/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


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

    def state(self, now: datetime) -> SilenceState:
        if now >= self.ends_at:
            return SilenceState.EXPIRED
        if now < self.starts_at:
            return SilenceState.PENDING
        return SilenceState.ACTIVE
