"""Who comes on call when, for the handoff message: at a rotation's handoff the incoming person and not the
outgoing one; a layer taking over and handing back; an override putting someone else on call, and the
person it replaced coming back; `ahead`; a gap before the next person; and, after downtime, only the
shift still running, never a backlog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alerthub.config.models import Config
from alerthub.domain.oncall import Override
from alerthub.oncall.handoffs import Handoff, due, leaves
from alerthub.oncall.schedule import Schedule
from alerthub.services.oncall import roster_from

BERLIN = ZoneInfo("Europe/Berlin")
PEOPLE = [{"name": "alice"}, {"name": "bob"}, {"name": "kim"}]
WEEKLY = {"every": "1w", "handoff": "2026-12-07T09:00:00+01:00", "people": ["alice", "bob"]}
OFFICE = [{"weekdays": ["monday:friday"], "times": [{"start_time": "09:00", "end_time": "17:00"}]}]
NOW = timedelta(0)


def schedule(**extra: Any) -> Schedule:
    base = {"name": "primary", "time_zone": "Europe/Berlin", "rotation": WEEKLY} | extra
    return roster_from(Config.model_validate({"people": PEOPLE, "schedules": [base]})).schedules["primary"]


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """December 2026 on Berlin's clock (Monday the 7th, 14th, 21st)."""
    return datetime(2026, 12, day, hour, minute, second, tzinfo=BERLIN)


def who(found: list[Handoff]) -> list[tuple[str, datetime]]:
    return [(h.person, h.start) for h in found]


def test_at_a_handoff_the_incoming_person_is_due_and_the_outgoing_one_no_longer() -> None:
    primary = schedule()
    assert who(due(primary, at(14, 8, 59, 59), NOW)) == [("alice", at(7, 9))]  # her shift, still running
    [bob] = due(primary, at(14, 9), NOW)
    assert bob == Handoff("primary", "bob", at(14, 9), at(21, 9), ("alice",), at(21, 9))


def test_after_downtime_only_the_shift_still_running_is_due() -> None:
    primary = schedule()
    # Down from Sunday the 13th to Wednesday the 23rd: bob's week (14th-21st) is over, alice's has begun.
    assert who(due(primary, at(23, 12), NOW)) == [("alice", at(21, 9))]


def test_a_layer_takes_over_in_office_hours_and_hands_back() -> None:
    office = schedule(
        layers=[
            {"rotation": {"every": "1d", "handoff": "2026-12-07T09:00:00+01:00", "people": ["kim"]}, "restrict": OFFICE}
        ]
    )
    [kim] = due(office, at(15, 9), NOW)  # Tuesday: kim from 09:00 to 17:00, then bob again
    assert kim == Handoff("primary", "kim", at(15, 9), at(15, 17), ("bob",), at(15, 17))
    [bob] = due(office, at(15, 17), NOW)  # bob comes on call again: he was not, just before
    assert (bob.start, bob.end, bob.next) == (at(15, 17), at(16, 9), ("kim",))
    # Friday evening to Monday morning is one shift: the weekly handoff to alice at 09:00 is kim's too.
    [friday] = due(office, at(18, 17), NOW)
    assert (friday.person, friday.end, friday.next) == ("bob", at(21, 9), ("kim",))


def test_an_override_hands_over_and_back_and_one_for_the_person_on_call_is_no_handoff() -> None:
    primary = schedule()
    cover = Override(1, "primary", "kim", at(15, 18), at(16, 8), "bob", at(15, 12))
    [kim] = due(primary, at(15, 18), NOW, [cover])
    assert kim == Handoff("primary", "kim", at(15, 18), at(16, 8), ("bob",), at(16, 8))
    [bob] = due(primary, at(16, 8), NOW, [cover])
    assert (bob.start, bob.end) == (at(16, 8), at(21, 9))  # back on call: a new shift, its own message
    # Read again at noon with the override already over: the same shift, so the same key.
    assert who(due(primary, at(16, 12), NOW, [cover])) == [("bob", at(16, 8))]
    again = Override(2, "primary", "bob", at(17, 0), at(18, 0), "bob", at(15, 12))
    assert who(due(primary, at(17, 0), NOW, [again])) == [("bob", at(14, 9))]  # still his week's shift


def test_ahead_sends_before_the_shift_and_no_earlier() -> None:
    primary = schedule()
    assert who(due(primary, at(14, 7, 59), timedelta(hours=1))) == [("alice", at(7, 9))]
    assert who(due(primary, at(14, 8), timedelta(hours=1))) == [("alice", at(7, 9)), ("bob", at(14, 9))]


def test_after_a_gap_the_next_person_is_named_with_when_they_start() -> None:
    daytime = schedule(restrict=OFFICE)
    [friday] = due(daytime, at(18, 9), NOW)
    assert (friday.person, friday.end, friday.next, friday.next_at) == ("bob", at(18, 17), ("alice",), at(21, 9))
    assert due(daytime, at(19, 12), NOW) == []  # Saturday: nobody on call, nobody told


def test_a_lone_person_on_call_for_good_has_no_end_and_nobody_next() -> None:
    alone = schedule(rotation={"every": "1w", "handoff": "2026-12-07T09:00:00+01:00", "people": ["alice"]})
    assert due(alone, at(7, 9), NOW) == [Handoff("primary", "alice", at(7, 9), None)]
    assert leaves(alone, "alice", at(7, 9)) is None
    # On call without a break for longer than a year and more: not told again.
    assert due(alone, datetime(2028, 6, 1, tzinfo=UTC), NOW) == []
