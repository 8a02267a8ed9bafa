"""The "On call" page: who is on call now and next per schedule, the coming two weeks day by day on each
schedule's clock, and its overrides (added and removed through the JSON API by the page's script, with
the session's CSRF header, as every other action of the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from alerthub.domain.oncall import OnCallNow, Override, Shift
from alerthub.hub import Hub
from alerthub.oncall.rotation import first_instant
from alerthub.oncall.schedule import Schedule
from alerthub.web import i18n
from alerthub.web.render import Pages

router = APIRouter(include_in_schema=False)
DAYS = 14


@dataclass(frozen=True)
class Stretch:
    start: str  # HH:MM on the schedule's clock
    end: str
    people: tuple[str, ...]
    override: bool


@dataclass(frozen=True)
class Day:
    day: date
    stretches: list[Stretch]


@dataclass(frozen=True)
class ScheduleView:
    name: str
    time_zone: str
    now: OnCallNow
    until: datetime | None
    days: list[Day]
    overrides: list[Override]


@router.get("/oncall", response_class=HTMLResponse)
async def oncall_page(request: Request) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    pages: Pages = request.app.state.pages
    moment = hub.clock()
    answers = {a.schedule: a for a in await hub.oncall.now(moment)}
    overrides = await hub.oncall.overrides(None, moment)
    views = [
        _view(schedule, answers[name], overrides, moment) for name, schedule in hub.oncall.roster.schedules.items()
    ]
    people = sorted(hub.oncall.roster.people)
    names = i18n.translator(pages.language(request))["oc.weekdays"].split()

    def when(value: datetime, zone: str) -> str:
        local = value.astimezone(ZoneInfo(zone))
        return f"{names[local.weekday()]} {local:%m-%d %H:%M}"

    def day_name(value: date) -> str:
        return f"{names[value.weekday()]} {value:%m-%d}"

    return await pages.render(
        request,
        "oncall",
        "oncall.html",
        schedules=views,
        people=people,
        when=when,
        day_name=day_name,
        open_pages=await hub.oncall.open_pages(),
    )


def _view(schedule: Schedule, now: OnCallNow, overrides: list[Override], moment: datetime) -> ScheduleView:
    zone = ZoneInfo(schedule.time_zone)
    first = moment.astimezone(zone).date()
    midnights = [datetime.combine(first + timedelta(days=n), datetime.min.time()) for n in range(DAYS + 1)]
    edges = [first_instant(m, zone) for m in midnights]
    timeline = schedule.timeline(edges[0], edges[-1], overrides)
    days = [Day(first + timedelta(days=n), _day(timeline, edges[n], edges[n + 1], zone)) for n in range(DAYS)]
    mine = [o for o in overrides if o.schedule == schedule.name]
    return ScheduleView(schedule.name, schedule.time_zone, now, now.until, days, mine)


def _day(timeline: list[Shift], start: datetime, end: datetime, zone: ZoneInfo) -> list[Stretch]:
    out = []
    for shift in timeline:
        if shift.end <= start or shift.start >= end:
            continue
        begins, ends = max(shift.start, start), min(shift.end, end)
        until = "24:00" if ends == end else f"{ends.astimezone(zone):%H:%M}"
        out.append(Stretch(f"{begins.astimezone(zone):%H:%M}", until, shift.people, shift.override))
    return out
