"""Recurring silences' schedule: every Sunday 02:00-04:00 Seoul time, on Seoul's clock; a rule whose
occurrences overlap, repeat more often than daily or set their own start is refused at the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerthub.domain.recurrence import RecurrenceError, parse

SEOUL = ZoneInfo("Asia/Seoul")
BERLIN = ZoneInfo("Europe/Berlin")
FIRST = datetime(2026, 12, 6, 2, 0, tzinfo=SEOUL)  # a Sunday


def test_the_window_holding_a_moment_or_the_next_one() -> None:
    weekly = parse("FREQ=WEEKLY;BYDAY=SU", timedelta(hours=2), "Asia/Seoul", FIRST)
    inside = datetime(2026, 12, 13, 3, 30, tzinfo=SEOUL)
    assert weekly.window(FIRST, inside) == (
        datetime(2026, 12, 13, 2, 0, tzinfo=SEOUL).astimezone(UTC),
        datetime(2026, 12, 13, 4, 0, tzinfo=SEOUL).astimezone(UTC),
    )
    between = datetime(2026, 12, 13, 4, 0, tzinfo=SEOUL)  # the end is not inside
    assert weekly.window(FIRST, between) == (
        datetime(2026, 12, 20, 2, 0, tzinfo=SEOUL).astimezone(UTC),
        datetime(2026, 12, 20, 4, 0, tzinfo=SEOUL).astimezone(UTC),
    )
    before = datetime(2026, 12, 1, tzinfo=UTC)
    assert weekly.window(FIRST, before) == (FIRST.astimezone(UTC), FIRST.astimezone(UTC) + timedelta(hours=2))


def test_wall_clock_time_holds_across_daylight_saving() -> None:
    start = datetime(2027, 3, 21, 2, 30, tzinfo=BERLIN)  # Sunday before the clocks go forward on the 28th
    weekly = parse("FREQ=WEEKLY", timedelta(hours=1), "Europe/Berlin", start)
    after_change = weekly.window(start, datetime(2027, 4, 1, tzinfo=UTC))
    assert after_change is not None
    assert after_change[0].astimezone(BERLIN).hour == 2 and after_change[0].astimezone(BERLIN).day == 4


def test_a_finished_series_has_no_next_window() -> None:
    twice = parse("FREQ=DAILY;COUNT=2", timedelta(hours=1), "UTC", datetime(2026, 12, 1, 9, tzinfo=UTC))
    assert twice.window(datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 5, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("rule", "duration", "zone", "where"),
    [
        ("FREQ=HOURLY", timedelta(minutes=30), "UTC", "rrule"),
        ("every sunday", timedelta(hours=1), "UTC", "rrule"),
        ("DTSTART:20261206T020000\nRRULE:FREQ=WEEKLY", timedelta(hours=1), "UTC", "rrule"),
        ("FREQ=DAILY", timedelta(hours=25), "UTC", "duration"),
        ("FREQ=WEEKLY", timedelta(seconds=10), "UTC", "duration"),
        ("FREQ=WEEKLY", timedelta(hours=1), "Asia/Soel", "timeZone"),
    ],
)
def test_bad_rules_are_refused_at_their_field(rule: str, duration: timedelta, zone: str, where: str) -> None:
    with pytest.raises(RecurrenceError) as caught:
        parse(rule, duration, zone, FIRST)
    assert caught.value.where == where
