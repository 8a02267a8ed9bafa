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
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerthub.config.models import TimeIntervalConfig, TimeIntervalSpec
from alerthub.errors import ConfigError, Problem
from alerthub.pipeline.batch import Batch, Muted, StageResult

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


@dataclass(frozen=True, slots=True)
class TimeInterval:
    name: str
    specs: tuple[IntervalSpec, ...]

    def contains(self, moment: datetime) -> bool:
        return any(s.contains(moment) for s in self.specs)


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


class TimeWindowStage:
    """Mutes the whole batch when now is inside a mute interval or outside every active interval."""

    name = "time_window"

    def __init__(self, intervals: Mapping[str, TimeInterval]) -> None:
        self.intervals = intervals

    def run(self, batch: Batch) -> StageResult:
        route = batch.group.route
        by, reason = self._why(route.mute_time_intervals, route.active_time_intervals, batch.now)
        if by is None:
            return StageResult(batch)
        muted = tuple(Muted(m, by, reason, self.name) for m in batch.members)
        return StageResult(batch.keep(()), muted)

    def _why(self, mute: tuple[str, ...], active: tuple[str, ...], now: datetime) -> tuple[str | None, str]:
        for name in mute:
            interval = self.intervals.get(name)
            if interval is not None and interval.contains(now):
                return f"time:{name}", f"muted by time interval {name!r}"
        known = [n for n in active if n in self.intervals]
        if known and not any(self.intervals[n].contains(now) for n in known):
            return f"time:{','.join(known)}", f"outside the active time interval(s) {', '.join(map(repr, known))}"
        return None, ""
