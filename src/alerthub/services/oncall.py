"""On call as a person uses it: who is on call now and next, the coming shifts (also as a calendar
feed), and overrides set, listed and removed at run time. Overrides are stored, so every instance and
every restart sees the same ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerthub.config.models import Config
from alerthub.domain.alert import Alert
from alerthub.domain.clock import Clock
from alerthub.domain.escalation import Escalation
from alerthub.domain.oncall import OnCallNow, Override, Shift
from alerthub.errors import ConfigError, InputError, NotFoundError, Problem
from alerthub.oncall.calendar_feed import calendar_feed
from alerthub.oncall.roster import Roster, build_roster
from alerthub.oncall.schedule import Schedule
from alerthub.pipeline.timeintervals import build_interval
from alerthub.store import alerts as alert_store
from alerthub.store import escalations
from alerthub.store import overrides as store
from alerthub.store.database import Database

FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=56)
# The rotation arithmetic works on datetimes: keep a year of look-ahead inside what they can hold.
EARLIEST_AT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_AT = datetime(9000, 1, 1, tzinfo=UTC)


def roster_from(config: Config) -> Roster:
    return build_roster(config, build_interval)


def roster_problems(config: Config) -> list[Problem]:
    """What check-config says about the schedules' restrictions (names across keys: config/checks.py)."""
    try:
        roster_from(config)
    except ConfigError as exc:
        return exc.problems
    return []


@dataclass(frozen=True, slots=True)
class OpenPage:
    """An escalation still running, and its alert."""

    escalation: Escalation
    alert: Alert


@dataclass(frozen=True, slots=True)
class OverrideDraft:
    schedule: str
    person: str
    starts_at: datetime
    ends_at: datetime
    created_by: str


class OnCallService:
    def __init__(self, db: Database, clock: Clock, roster: Roster) -> None:
        self.db = db
        self.clock = clock
        self.roster = roster

    def schedule(self, name: str) -> Schedule:
        found = self.roster.schedules.get(name)
        if found is None:
            known = ", ".join(self.roster.schedules) or "none are configured"
            raise NotFoundError(f"no schedule named {name!r} (schedules: {known})")
        return found

    async def now(self, at: datetime | None = None) -> list[OnCallNow]:
        """One answer per schedule, in the configuration's order."""
        moment = self._moment(at)
        current = await self.overrides(None, moment)
        return [s.now_and_next(moment, current) for s in self.roster.schedules.values()]

    async def shifts(self, name: str, start: datetime, end: datetime) -> list[Shift]:
        schedule = self.schedule(name)
        return schedule.shifts(start, end, await self.overrides(name, start))

    async def calendar(self, name: str, host: str = "alerthub") -> str:
        now = self.clock()
        shifts = await self.shifts(name, now - FEED_PAST, now + FEED_AHEAD)
        return calendar_feed(name, shifts, now, host)

    async def overrides(self, schedule: str | None = None, since: datetime | None = None) -> list[Override]:
        """The overrides that have not ended (by `since`, default now), soonest first."""
        if schedule is not None:
            self.schedule(schedule)
        async with self.db.read() as conn:
            return await store.not_ended(conn, since or self.clock(), schedule)

    async def open_pages(self) -> list[OpenPage]:
        """The escalations still paging (or waiting on an acknowledgement) about open alerts, newest first."""
        async with self.db.read() as conn:
            running = await escalations.live(conn)
            alerts = {a.id: a for a in await alert_store.get_many(conn, [e.alert_id for e in running])}
        return [
            OpenPage(e, alerts[e.alert_id])
            for e in running
            if e.alert_id in alerts and alerts[e.alert_id].state.is_open
        ]

    async def add_override(self, draft: OverrideDraft) -> Override:
        self.schedule(draft.schedule)
        _validate(draft, self.roster, self.clock())
        span = (draft.starts_at.astimezone(UTC), draft.ends_at.astimezone(UTC))
        async with self.db.write() as conn:
            return await store.add(conn, draft.schedule, draft.person, span, draft.created_by, self.clock())

    async def remove_override(self, schedule: str, override_id: int) -> Override:
        self.schedule(schedule)
        async with self.db.write() as conn:
            removed = await store.remove(conn, schedule, override_id)
        if removed is None:
            raise NotFoundError(f"schedule {schedule!r} has no override {override_id}")
        return removed

    def _moment(self, at: datetime | None) -> datetime:
        if at is None:
            return self.clock()
        if not EARLIEST_AT <= at <= LATEST_AT:
            raise InputError("at is out of range", [Problem("query.at", "must be between 1970 and 9000")])
        return at


def _validate(draft: OverrideDraft, roster: Roster, now: datetime) -> None:
    problems: list[Problem] = []
    if draft.person not in roster.people:
        known = ", ".join(roster.people) or "none are configured"
        problems.append(Problem("body.person", f"no person named {draft.person!r} (people: {known})"))
    if draft.ends_at <= draft.starts_at:
        problems.append(Problem("body.end", "must be after start"))
    elif draft.ends_at <= now:
        problems.append(Problem("body.end", "must be in the future"))
    if not draft.created_by.strip():
        problems.append(Problem("body.created_by", "must not be empty"))
    if problems:
        raise InputError("invalid override: " + "; ".join(str(p) for p in problems), problems)
