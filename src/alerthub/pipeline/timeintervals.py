"""Named recurring time intervals in Alertmanager's `time_intervals` shape, and the stage that applies
a route's `mute_time_intervals` (muted inside) and `active_time_intervals` (muted outside).

A spec matches when every field it sets matches, read in its `location`; an interval matches when any
of its specs does. `times` end exclusively (`17:00` is no longer inside `09:00`-`17:00`); day ranges
are inclusive; `days_of_month` counts back from the month's end when negative (`-1` is the last day).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerthub.config.models import TimeIntervalConfig, TimeIntervalSpec
from alerthub.errors import ConfigError, Problem

# Go's numbering, as Alertmanager's config uses it: a range must not run backwards through it.
_WEEKDAYS = {d.lower(): (i + 1) % 7 for i, d in enumerate(calendar.day_name)}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}

Range = tuple[int, int]


@dataclass(frozen=True, slots=True)
class IntervalSpec:
    times: tuple[Range, ...]  # minutes of the day, end exclusive
    weekdays: tuple[Range, ...]
    days_of_month: tuple[Range, ...]
    months: tuple[Range, ...]
    years: tuple[Range, ...]
    location: tzinfo

    def contains(self, moment: datetime) -> bool:
        t = moment.astimezone(self.location)
        minute = t.hour * 60 + t.minute
        weekday = (t.weekday() + 1) % 7
        days = calendar.monthrange(t.year, t.month)[1]
        return (
            _any(self.times, lambda r: r[0] <= minute < r[1])
            and _any(self.weekdays, lambda r: r[0] <= weekday <= r[1])
            and _any(self.days_of_month, lambda r: _day_in(r, t.day, days))
            and _any(self.months, lambda r: r[0] <= t.month <= r[1])
            and _any(self.years, lambda r: r[0] <= t.year <= r[1])
        )

    def edges(self, start: datetime, end: datetime) -> set[datetime]:
        """Instants around [start, end] at which `contains` may change: each local midnight and time-of-day
        edge (both readings of an ambiguous one), and the location's clock changes (a jump can cross an edge)."""
        minutes = {0} | {m for r in self.times for m in r if m < 1440}
        day = start.astimezone(self.location).date() - timedelta(days=1)
        last = end.astimezone(self.location).date() + timedelta(days=1)
        out: set[datetime] = set()
        while day <= last:
            midnight = datetime.combine(day, time())
            for m in minutes:
                wall = midnight + timedelta(minutes=m)
                out |= {wall.replace(tzinfo=self.location, fold=f).astimezone(UTC) for f in (0, 1)}
            day += timedelta(days=1)
        return out | clock_changes(self.location, start, end)


@dataclass(frozen=True, slots=True)
class TimeInterval:
    name: str
    specs: tuple[IntervalSpec, ...]

    def contains(self, moment: datetime) -> bool:
        return any(s.contains(moment) for s in self.specs)

    def changes(self, start: datetime, end: datetime) -> list[datetime]:
        """The instants strictly between start and end at which `contains` changes, in order."""
        candidates = sorted({e for s in self.specs for e in s.edges(start, end) if start < e < end})
        out: list[datetime] = []
        inside = self.contains(start)
        for moment in candidates:
            if self.contains(moment) != inside:
                inside = not inside
                out.append(moment)
        return out


def clock_changes(zone: tzinfo, start: datetime, end: datetime) -> set[datetime]:
    """The instants in [start - 1h, end] at which the zone's UTC offset changes (to the second): sampled
    hourly, then bisected. No zone has changed its offset twice within an hour."""
    out: set[datetime] = set()
    step = timedelta(hours=1)
    here = start.astimezone(UTC) - step
    while here < end:
        after = min(here + step, end)
        if here.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            low, high = here, after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                same = middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            out.add(high.replace(microsecond=0))
        here = after
    return out


def _any(ranges: tuple[Range, ...], test: Callable[[Range], bool]) -> bool:
    return not ranges or any(test(r) for r in ranges)


def _day_in(r: Range, day: int, days: int) -> bool:
    start = r[0] if r[0] > 0 else days + r[0] + 1
    end = r[1] if r[1] > 0 else days + r[1] + 1
    return max(start, 1) <= day <= min(end, days)


def build_time_intervals(configs: Sequence[TimeIntervalConfig]) -> dict[str, TimeInterval]:
    """Parse every interval; every problem is reported with its location in one ConfigError."""
    problems: list[Problem] = []
    out: dict[str, TimeInterval] = {}
    for i, cfg in enumerate(configs):
        specs = []
        for j, spec in enumerate(cfg.time_intervals):
            where = f"time_intervals[{i}].time_intervals[{j}]"
            try:
                specs.append(_spec(spec, where))
            except _Bad as exc:
                problems.append(Problem(exc.where, exc.message))
        out[cfg.name] = TimeInterval(cfg.name, tuple(specs))
    if problems:
        raise ConfigError(problems)
    return out


def build_interval(name: str, specs: Sequence[TimeIntervalSpec], where: str) -> TimeInterval:
    """One interval from its specs (`where` locates them in the file, e.g. `schedules[0].restrict`)."""
    problems: list[Problem] = []
    parsed: list[IntervalSpec] = []
    for j, spec in enumerate(specs):
        try:
            parsed.append(_spec(spec, f"{where}[{j}]"))
        except _Bad as exc:
            problems.append(Problem(exc.where, exc.message))
    if problems:
        raise ConfigError(problems)
    return TimeInterval(name, tuple(parsed))


class _Bad(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def _spec(spec: TimeIntervalSpec, where: str) -> IntervalSpec:
    return IntervalSpec(
        times=tuple(_time_range(t.start_time, t.end_time, f"{where}.times[{k}]") for k, t in enumerate(spec.times)),
        weekdays=_ranges(spec.weekdays, f"{where}.weekdays", lambda s: _named(s, _WEEKDAYS, None), 0, 6),
        days_of_month=tuple(_days(s, f"{where}.days_of_month[{k}]") for k, s in enumerate(spec.days_of_month)),
        months=_ranges(spec.months, f"{where}.months", lambda s: _named(s, _MONTHS, (1, 12)), 1, 12),
        years=_ranges(spec.years, f"{where}.years", lambda s: _named(s, {}, (1, 9999)), 1, 9999),
        location=_location(spec.location, f"{where}.location"),
    )


def _time_range(start: str, end: str, where: str) -> Range:
    a, b = _minutes(start, 1439, f"{where}.start_time"), _minutes(end, 1440, f"{where}.end_time")
    if a >= b:
        raise _Bad(where, f"start_time {start!r} must be before end_time {end!r}")
    return a, b


def _minutes(text: str, limit: int, where: str) -> int:
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise _Bad(where, f"{text!r} is not a time of day HH:MM")
    total = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or total > limit:
        raise _Bad(where, f"{text!r} is out of range (00:00 to {'24:00' if limit == 1440 else '23:59'})")
    return total


def _named(text: str, names: Mapping[str, int], numeric: Range | None) -> int:
    word = text.strip().lower()
    if word in names:
        return names[word]
    if numeric is not None and word.isdigit() and numeric[0] <= int(word) <= numeric[1]:
        return int(word)
    raise ValueError(f"{text!r} is not one of {', '.join(names) or 'the allowed numbers'}")


def _ranges(items: list[str], where: str, parse: Callable[[str], int], low: int, high: int) -> tuple[Range, ...]:
    out: list[Range] = []
    for k, item in enumerate(items):
        first, sep, last = item.partition(":")
        try:
            a = parse(first)
            b = parse(last) if sep else a
        except ValueError as exc:
            raise _Bad(f"{where}[{k}]", str(exc)) from None
        if a > b:
            raise _Bad(f"{where}[{k}]", f"{item!r} runs backwards")
        out.append((max(a, low), min(b, high)))
    return tuple(out)


def _days(item: str, where: str) -> Range:
    first, sep, last = item.partition(":")
    try:
        a = int(first)
        b = int(last) if sep else a
    except ValueError:
        raise _Bad(where, f"{item!r} is not a day of the month (1 to 31, or -31 to -1)") from None
    if not all(-31 <= d <= 31 and d != 0 for d in (a, b)):
        raise _Bad(where, f"{item!r}: days run 1 to 31, or -31 to -1 counting from the month's end")
    if (a > 0) == (b > 0) and a > b:
        raise _Bad(where, f"{item!r} runs backwards")
    return a, b


def _location(name: str, where: str) -> tzinfo:
    if name.lower() == "local":
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Bad(where, f"unknown time zone {name!r}") from None
