from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class HeartbeatStatus(StrEnum):
    WAITING = "waiting"  # never pinged, still inside its first window
    UP = "up"
    LATE = "late"  # past `expect_every`, inside `grace`
    MISSING = "missing"  # past `expect_every + grace`: `heartbeat_missing` fires


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A dead man's switch: something that promised to ping at least every `expect_every`.

    A heartbeat never pinged counts from `created_at`, so a cron job that never ran is noticed too.
    """

    name: str
    expect_every: timedelta
    grace: timedelta
    labels: dict[str, str] = field(default_factory=dict)
    last_ping_at: datetime | None = None
    created_at: datetime | None = None

    @property
    def since(self) -> datetime | None:
        return self.last_ping_at or self.created_at

    @property
    def due_at(self) -> datetime | None:
        return self.since + self.expect_every if self.since else None

    @property
    def missing_at(self) -> datetime | None:
        return self.since + self.expect_every + self.grace if self.since else None

    def status(self, now: datetime) -> HeartbeatStatus:
        if self.missing_at is not None and now > self.missing_at:
            return HeartbeatStatus.MISSING
        if self.due_at is not None and now > self.due_at:
            return HeartbeatStatus.LATE
        return HeartbeatStatus.UP if self.last_ping_at else HeartbeatStatus.WAITING

    def overdue_by(self, now: datetime) -> timedelta:
        return max(timedelta(0), now - self.due_at) if self.due_at else timedelta(0)
