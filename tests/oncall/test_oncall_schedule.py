"""Schedules as configured: layers that take over inside their restriction (nobody from a layer outside
it), overrides above everything, "who now, until when, who next", and the calendar feed read back by a
real iCalendar parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from alerthub.config.models import Config
from alerthub.domain.oncall import Override, Shift
from alerthub.oncall.calendar_feed import calendar_feed, escape
from alerthub.oncall.roster import Roster
from alerthub.services.oncall import roster_from

BERLIN = ZoneInfo("Europe/Berlin")
PEOPLE = [
    {"name": "alice", "discord_user_id": "123456789012345678", "email": "alice@example.com"},
    {"name": "bob", "slack_user_id": "U024BE7LH", "apprise": ["tgram://bot/123"]},
    {"name": "김민준", "telegram_chat_id": 4242},
]


def roster(**schedule: Any) -> Roster:
    base = {
        "name": "primary",
        "time_zone": "Europe/Berlin",
        "rotation": {"every": "1w", "handoff": "2026-03-23T09:00:00+01:00", "people": ["alice", "bob"]},
    }
    return roster_from(Config.model_validate({"people": PEOPLE, "schedules": [base | schedule]}))


OFFICE = [{"weekdays": ["monday:friday"], "times": [{"start_time": "09:00", "end_time": "17:00"}]}]


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def test_a_layer_takes_over_inside_its_restriction_only() -> None:
    schedule = roster(
        layers=[
            {
                "rotation": {"every": "1d", "handoff": "2026-03-23T00:00:00+01:00", "people": ["김민준"]},
                "restrict": OFFICE,
            }
        ]
    ).schedules["primary"]
    assert schedule.on_call_at(at(27, 10)) == ("김민준",)  # Friday, office hours, Berlin time
    assert schedule.on_call_at(at(27, 17)) == ("alice",)  # 17:00 ends the layer's hours
    assert schedule.on_call_at(at(28, 10)) == ("alice",)  # Saturday
    # Across the spring change the layer still starts at 09:00 Berlin time (07:00 UTC from Monday on).
    cuts = [(s.start, s.people) for s in schedule.timeline(at(29, 0), at(31, 0))]
    assert cuts == [
        (at(29, 0), ("alice",)),
        (at(30, 9), ("김민준",)),
        (at(30, 17), ("bob",)),
    ]


def test_a_restricted_rotation_leaves_nobody_on_call_outside_it() -> None:
    schedule = roster(restrict=OFFICE).schedules["primary"]
    assert schedule.on_call_at(at(27, 12)) == ("alice",)
    assert schedule.on_call_at(at(27, 20)) == ()
    answer = schedule.now_and_next(at(27, 20))
    assert answer.on_call == () and answer.until == at(30, 9) and answer.next == ("bob",)


def test_overrides_take_precedence_and_show_in_now_and_next() -> None:
    schedule = roster().schedules["primary"]
    now = at(25, 12)
    cover = Override(1, "primary", "김민준", at(25, 18), at(26, 8), "alice", now)
    elsewhere = Override(2, "other", "bob", at(25, 0), at(27, 0), "bob", now)
    answer = schedule.now_and_next(now, [cover, elsewhere])
    assert (answer.on_call, answer.until, answer.next) == (("alice",), at(25, 18), ("김민준",))
    assert schedule.on_call_at(at(25, 19), [cover]) == ("김민준",)
    shifts = schedule.shifts(at(25, 12), at(26, 12), [cover])
    assert [(s.people, s.override) for s in shifts] == [(("alice",), False), (("김민준",), True), (("alice",), False)]


def test_a_schedule_that_never_changes_says_so() -> None:
    schedule = roster(rotation={"every": "1w", "handoff": "2026-03-23T09:00:00+01:00", "people": ["alice"]})
    answer = schedule.schedules["primary"].now_and_next(at(25, 12))
    assert answer.on_call == ("alice",) and answer.until is None and answer.next == ()


def test_an_escalation_step_asks_who_to_page_and_how() -> None:
    people = roster()
    [alice] = people.on_call("primary", at(25, 12))
    assert people.address(alice.name, "discord") == ("123456789012345678",)
    assert people.address("bob", "slack") == ("U024BE7LH",) and people.address("bob", "apprise") == ("tgram://bot/123",)
    assert people.address("김민준", "telegram") == ("4242",)
    assert people.address("bob", "email") == () and people.on_call("nope", at(25, 12)) == ()
    assert "tgram" not in repr(people.people["bob"]), "Apprise URLs carry credentials"


def test_the_calendar_feed_parses_with_one_event_per_shift() -> None:
    schedule = roster(
        layers=[
            {
                "rotation": {"every": "1d", "handoff": "2026-03-23T00:00:00+01:00", "people": ["김민준"]},
                "restrict": OFFICE,
            }
        ]
    ).schedules["primary"]
    cover = Override(1, "primary", "bob", at(28, 0), at(28, 12), "alice", at(20, 0))
    shifts = schedule.shifts(at(27, 0), at(30, 0), [cover])
    feed = calendar_feed("primary", shifts, datetime(2026, 3, 20, tzinfo=UTC))
    assert all(line.endswith("\r") or not line for line in feed.split("\n"))
    assert all(len(line.encode()) <= 76 for line in feed.split("\n")), "75 octets and the CR"
    parsed = icalendar.Calendar.from_ical(feed)
    events = [c for c in parsed.walk("VEVENT")]
    got = [(e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"])) for e in events]
    assert got == [
        (at(27, 0), at(27, 9), "alice"),
        (at(27, 9), at(27, 17), "김민준"),
        (at(27, 17), at(28, 0), "alice"),
        (at(28, 0), at(28, 12), "bob (override)"),
        (at(28, 12), at(30, 0), "alice"),
    ]
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_text_is_escaped_and_long_lines_fold_between_characters() -> None:
    name = "Kim, Min-jun; 김민준 \\ " * 5
    feed = calendar_feed("primary", [Shift(at(25, 0), at(26, 0), (name,))], datetime(2026, 3, 20, tzinfo=UTC))
    lines = feed.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines), "the summary was long enough to fold"
    for line in lines:
        line.encode().decode("utf-8")  # no line ends inside a character
    [event] = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert str(event["SUMMARY"]) == name
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


@pytest.mark.parametrize("when", [at(20, 0), at(29, 2, 30)])
def test_shifts_start_and_end_where_asked(when: datetime) -> None:
    shifts = roster().schedules["primary"].shifts(when, when + timedelta(days=9))
    assert shifts[0].start >= when and shifts[-1].end == when + timedelta(days=9)
