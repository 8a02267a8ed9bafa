"""Rotation arithmetic on the schedule's clock, across daylight-saving changes: turns cover time without
gaps or overlaps, each hands over to the next person in order, and turns of whole days start at the
handoff's wall-clock time in the schedule's zone (an hour shorter or longer when the clocks change).
A turn the clocks skip whole (an hourly turn starting at 02:00 on the spring-forward night) lasts no
time and is not held: the order goes on with the next turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerthub.oncall.rotation import Rotation, first_instant
from alerthub.oncall.schedule import Layer, Schedule

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Seoul", "America/Santiago", "UTC"]
HOURS = [1, 2, 5, 8, 12, 24, 36, 48, 24 * 7, 24 * 14]
PEOPLE = ("alice", "bob", "carol")

zones = st.sampled_from(ZONES).map(ZoneInfo)
everies = st.sampled_from(HOURS).map(lambda h: timedelta(hours=h))
walls = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1))
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=120))


def rotation(zone: ZoneInfo, every: timedelta, wall: datetime, people: tuple[str, ...] = PEOPLE) -> Rotation:
    handoff = first_instant(wall.replace(second=0, microsecond=0), zone)
    return Rotation(every, handoff, people, zone)


def _next_held_turn(turns: Rotation, moment: datetime) -> int:
    """The first turn after the one holding `moment` that lasts some time."""
    turn = turns.turn_at(moment)
    assert turn is not None
    turn += 1
    while turns.start(turn + 1) <= turns.start(turn):
        turn += 1
    return turn


@settings(max_examples=300, deadline=None)
@given(zones, everies, walls, offsets, st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=30)))
def test_turns_cover_time_without_gaps_and_hand_over_in_order(
    zone: ZoneInfo, every: timedelta, wall: datetime, skip: timedelta, span: timedelta
) -> None:
    turns = rotation(zone, every, wall)
    start = turns.handoff + skip
    end = start + span
    schedule = Schedule("s", zone.key, (Layer(turns),))
    shifts = schedule.timeline(start, end)
    assert shifts[0].start == start and shifts[-1].end == end
    for before, after in zip(shifts, shifts[1:], strict=False):
        assert before.end == after.start and before.start < before.end
        assert after.people[0] == turns.person(_next_held_turn(turns, before.start))
    for shift in shifts:
        # Who the rotation names anywhere inside a shift is whom the shift names.
        for moment in (shift.start, shift.start + (shift.end - shift.start) / 2, shift.end - timedelta(microseconds=1)):
            assert turns.person_at(moment) == shift.people[0]


@settings(max_examples=300, deadline=None)
@given(zones, st.sampled_from([1, 2, 7, 14]), walls, offsets)
def test_whole_day_turns_start_at_the_handoffs_wall_clock_time(
    zone: ZoneInfo, days: int, wall: datetime, skip: timedelta
) -> None:
    turns = rotation(zone, timedelta(days=days), wall)
    local = turns.handoff.astimezone(zone)
    start = turns.handoff + skip
    for at in turns.starts(start, start + timedelta(days=days * 6)):
        here = at.astimezone(zone)
        wanted = here.replace(hour=local.hour, minute=local.minute, second=0, fold=0)
        if first_instant(wanted.replace(tzinfo=None), zone) == at.astimezone(UTC) and here.time() != local.time():
            continue  # that wall-clock time does not exist that day: the turn starts when the clocks jump
        assert (here.hour, here.minute) == (local.hour, local.minute)
        assert (here.date() - local.date()).days % days == 0


@settings(max_examples=300, deadline=None)
@given(zones, everies, walls, offsets)
def test_a_turn_differs_from_its_length_only_by_the_clock_change_inside_it(
    zone: ZoneInfo, every: timedelta, wall: datetime, skip: timedelta
) -> None:
    turns = rotation(zone, every, wall)
    turn = turns.turn_at(turns.handoff + skip)
    assert turn is not None
    start, end = turns.start(turn), turns.start(turn + 1)
    change = end.astimezone(zone).utcoffset() - start.astimezone(zone).utcoffset()  # type: ignore[operator]
    # Lord Howe moves its clocks by 30 minutes; Santiago by an hour; a start that falls in the skipped
    # hour moves to the jump, which can shorten a turn by up to that hour again.
    assert abs((end - start) - (every - change)) <= timedelta(hours=1)
    assert start <= turns.handoff + skip < end


def test_a_weekly_turn_across_the_spring_change_in_berlin_is_167_hours() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    turns = Rotation(timedelta(weeks=1), datetime(2026, 3, 23, 9, tzinfo=berlin), ("alice", "bob"), berlin)
    assert turns.start(1) == datetime(2026, 3, 30, 7, tzinfo=UTC)  # 09:00 CEST
    assert turns.start(1) - turns.start(0) == timedelta(hours=167)
    assert turns.person_at(datetime(2026, 3, 30, 6, 59, tzinfo=UTC)) == "alice"
    assert turns.person_at(datetime(2026, 3, 30, 7, tzinfo=UTC)) == "bob"
    autumn = turns.turn_at(datetime(2026, 10, 26, 9, tzinfo=berlin))
    assert autumn is not None and turns.start(autumn) == datetime(2026, 10, 26, 8, tzinfo=UTC)  # 09:00 CET
    assert turns.start(autumn) - turns.start(autumn - 1) == timedelta(hours=169)


def test_a_twelve_hour_turn_keeps_nine_and_nine_in_new_york() -> None:
    york = ZoneInfo("America/New_York")
    turns = Rotation(timedelta(hours=12), datetime(2026, 3, 1, 9, tzinfo=york), ("day", "night"), york)
    starts = list(turns.starts(datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)))
    # From Friday evening, across the change on Sunday at 2 a.m.
    assert [s.astimezone(york).hour for s in starts] == [21, 9, 21, 9, 21, 9]
    assert turns.person_at(datetime(2026, 3, 8, 14, tzinfo=york)) == "day"


def test_a_turn_that_would_start_in_the_skipped_hour_starts_when_the_clocks_jump() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    turns = Rotation(timedelta(days=1), datetime(2026, 3, 28, 2, 30, tzinfo=berlin), ("a", "b"), berlin)
    assert turns.start(1) == datetime(2026, 3, 29, 1, tzinfo=UTC)  # 02:30 does not exist; 03:00 CEST
    assert turns.start(2) == datetime(2026, 3, 30, 2, 30, tzinfo=berlin)


def test_nobody_is_on_call_before_the_first_handoff() -> None:
    turns = Rotation(timedelta(days=1), datetime(2026, 1, 1, tzinfo=UTC), ("a",), ZoneInfo("UTC"))
    assert turns.person_at(datetime(2025, 12, 31, 23, 59, tzinfo=UTC)) is None
    assert turns.person_at(datetime(2026, 1, 1, tzinfo=UTC)) == "a"


def test_a_turn_shorter_than_an_hour_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1h"):
        Rotation(timedelta(minutes=30), datetime(2026, 1, 1, tzinfo=UTC), ("a",), ZoneInfo("UTC"))


def test_an_hourly_turn_the_clocks_skip_is_not_held_and_the_order_goes_on() -> None:
    """Found by the property above: Berlin's clocks skip 02:00-03:00 on 31 March 2030."""
    zone = ZoneInfo("Europe/Berlin")
    turns = Rotation(timedelta(hours=1), datetime(2030, 3, 30, 23, 0, tzinfo=zone), PEOPLE, zone)
    start = turns.handoff.astimezone(UTC)
    shifts = Schedule("s", zone.key, (Layer(turns),)).timeline(start, start + timedelta(hours=4))
    local = [(s.start.astimezone(zone).strftime("%H:%M"), s.people[0]) for s in shifts]
    assert local == [("23:00", "alice"), ("00:00", "bob"), ("01:00", "carol"), ("03:00", "bob")]
