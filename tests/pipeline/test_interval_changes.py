"""`TimeInterval.changes`, which on-call restrictions use to cut shifts: the instants it names are exactly
those at which `contains` changes, minute by minute, including across daylight-saving jumps that skip or
repeat an edge of the interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from alerthub.config.intervals import TimeIntervalSpec, TimeRangeConfig
from alerthub.pipeline.timeintervals import build_interval

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Seoul", "America/Santiago"]
# Days around the clock changes of those zones in 2026, and an ordinary one.
DAYS = [
    datetime(2026, 3, 8),
    datetime(2026, 3, 28),
    datetime(2026, 4, 4),
    datetime(2026, 9, 5),
    datetime(2026, 10, 24),
    datetime(2026, 10, 31),
    datetime(2026, 11, 1),
    datetime(2026, 6, 10),
]
minutes = st.integers(min_value=0, max_value=1440)
weekdays = st.sampled_from([[], ["monday:friday"], ["saturday", "sunday"], ["sunday"]])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), st.sampled_from(DAYS), minutes, minutes, weekdays)
def test_changes_are_exactly_where_contains_changes(zone: str, day: datetime, a: int, b: int, days: list[str]) -> None:
    low, high = sorted((a, b))
    if low == high:
        high = min(low + 60, 1440)
        low = high - 60
    times = [TimeRangeConfig(start_time=f"{low // 60:02}:{low % 60:02}", end_time=f"{high // 60:02}:{high % 60:02}")]
    interval = build_interval("x", [TimeIntervalSpec(times=times, weekdays=days, location=zone)], "where")
    start = day.replace(tzinfo=UTC)
    end = start + timedelta(days=3)
    expected = []
    inside = interval.contains(start)
    moment = start + timedelta(minutes=1)
    while moment < end:
        if interval.contains(moment) != inside:
            inside = not inside
            expected.append(moment)
        moment += timedelta(minutes=1)
    assert interval.changes(start, end) == expected
