"""A silence that comes back on a schedule: an iCalendar RRULE (RFC 5545) read on a time zone's clock, each
occurrence lasting `duration` ("every Sunday 02:00-04:00 in Seoul"). The series' first occurrence starts at
the silence's `startsAt`, its last ends by `endsAt`. Occurrences are computed with python-dateutil's
`rrule` on local wall-clock times, so a weekly 02:00 stays 02:00 across daylight-saving changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rruleset, rrulestr

# Shorter rules would be a silence that is on and off every few minutes: a mute window is for that.
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
LONGEST = timedelta(days=7)
_FREQ = re.compile(r"(?:^|;|:)FREQ=([A-Z]+)", re.IGNORECASE)


class RecurrenceError(ValueError):
    """`where`: the field of `recurrence` it is about (`rrule`, `duration`, `timeZone`)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True, slots=True)
class Recurrence:
    rrule: str
    duration: timedelta
    time_zone: str

    def window(self, series_start: datetime, at: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence `[start, end)` (UTC) that holds `at`, else the next one; None after the last."""
        zone = ZoneInfo(self.time_zone)
        rule = _rule(self.rrule, _local(series_start, zone))
        local_at = _local(at, zone)
        last = rule.before(local_at, inc=True)
        if last is not None:
            start = _aware(last, zone)
            if start <= at < start + self.duration:
                return start, start + self.duration
        following = rule.after(local_at)
        if following is None:
            return None
        start = _aware(following, zone)
        return start, start + self.duration


def parse(text: str, duration: timedelta, time_zone: str, series_start: datetime) -> Recurrence:
    """Raises RecurrenceError naming the field when the rule does not parse, repeats more often than
    daily, sets its own DTSTART, or has occurrences longer than the gap between them."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecurrenceError("timeZone", f"unknown time zone {time_zone!r}: use an IANA name") from None
    if "DTSTART" in text.upper():
        raise RecurrenceError("rrule", "give no DTSTART: the silence's startsAt is the first occurrence")
    if not timedelta(minutes=1) <= duration <= LONGEST:
        raise RecurrenceError("duration", "must be between 1m and 7d")
    try:
        rule = _rule(text, _local(series_start, zone))
    except (ValueError, TypeError) as exc:
        raise RecurrenceError("rrule", f"not an RRULE dateutil understands: {exc}") from None
    freq = _FREQ.search(text)
    if not isinstance(rule, rrule) or freq is None or freq.group(1).upper() not in FREQUENCIES:
        raise RecurrenceError("rrule", "use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY (one rule, no RDATE/EXDATE)")
    first = rule.after(_local(series_start, zone), inc=True)
    second = rule.after(first) if first is not None else None
    if first is not None and second is not None and _aware(first, zone) + duration > _aware(second, zone):
        raise RecurrenceError("duration", "is longer than the time between two occurrences")
    return Recurrence(text, duration, time_zone)


@lru_cache(maxsize=256)
def _rule(text: str, start: datetime) -> rrule | rruleset:
    # cache=True keeps the occurrences computed so far: the pipeline asks about the same silence at
    # every flush.
    return rrulestr(text, dtstart=start, cache=True, forceset=False)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)
