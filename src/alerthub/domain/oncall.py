"""People who can be on call, how to reach each of them, and what a schedule says about a moment:
plain data. The rotation arithmetic lives in oncall/, overrides are stored by store/overrides.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str | None = None
    discord_user_id: str | None = None
    slack_user_id: str | None = None
    telegram_chat_id: str | None = None
    apprise: tuple[str, ...] = field(default=(), repr=False)  # URLs carry credentials
    time_zone: str | None = None

    def address(self, channel_type: str) -> tuple[str, ...]:
        """How to reach this person over a channel of this type: the Discord or Slack user to mention, the
        mail address, the Telegram chat, their own Apprise URLs; () when they have none for it."""
        found: str | tuple[str, ...] | None = {
            "email": self.email,
            "discord": self.discord_user_id,
            "slack": self.slack_user_id,
            "telegram": self.telegram_chat_id,
            "apprise": self.apprise,
        }.get(channel_type)
        if found is None:
            return ()
        return (found,) if isinstance(found, str) else found


@dataclass(frozen=True, slots=True)
class Override:
    """Someone on call in a schedule's place from `starts_at` until `ends_at`, set at run time."""

    id: int
    schedule: str
    person: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


@dataclass(frozen=True, slots=True)
class Shift:
    """Who is on call from `start` until `end` (UTC). `override` when an override put them there."""

    start: datetime
    end: datetime
    people: tuple[str, ...]
    override: bool = False


@dataclass(frozen=True, slots=True)
class OnCallNow:
    """A schedule at one moment: who is on call, until when that holds (None: no change within a year),
    and who comes next (empty: nobody)."""

    schedule: str
    on_call: tuple[str, ...]
    until: datetime | None
    next: tuple[str, ...]
