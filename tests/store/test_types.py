"""UtcDateTime's fast SQLite binding must store exactly what SQLAlchemy's DATETIME would: rows written
before and after it compare and sort as one column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from alerthub.store.types import UtcDateTime, sqlite_datetime_text

_SQLALCHEMY_SQLITE = sqlite.DATETIME().bind_processor(sqlite.dialect())
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5, minutes=-30))])


@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES))
def test_the_text_is_sqlalchemys_for_the_same_instant_in_utc(value: datetime) -> None:
    assert _SQLALCHEMY_SQLITE is not None
    expected = _SQLALCHEMY_SQLITE(value.astimezone(UTC).replace(tzinfo=None))
    assert sqlite_datetime_text(value) == expected


def test_whole_seconds_keep_their_microseconds_so_text_order_is_time_order() -> None:
    assert sqlite_datetime_text(datetime(2026, 11, 27, 10, 0, tzinfo=UTC)) == "2026-11-27 10:00:00.000000"
    assert sqlite_datetime_text(datetime(2026, 11, 27, 19, 0, tzinfo=timezone(timedelta(hours=9)))) == (
        "2026-11-27 10:00:00.000000"
    )


def test_naive_datetimes_and_none() -> None:
    assert sqlite_datetime_text(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_datetime_text(datetime(2026, 11, 27, 10, 0))


def test_the_column_type_uses_it_on_sqlite_only() -> None:
    from sqlalchemy.dialects import postgresql

    assert UtcDateTime().bind_processor(sqlite.dialect()) is sqlite_datetime_text
    assert UtcDateTime().bind_processor(postgresql.dialect()) is not sqlite_datetime_text


def test_the_same_datetime_bound_again_and_others_in_between_keep_their_own_text() -> None:
    now = datetime(2026, 11, 27, 19, 0, 0, 5, tzinfo=timezone(timedelta(hours=9)))
    other = datetime(2026, 11, 27, 10, 0, 0, 5, tzinfo=UTC)
    texts = [sqlite_datetime_text(v) for v in (now, now, other, now, other)]
    assert texts == ["2026-11-27 10:00:00.000005"] * 5  # one instant, two zones
    later = datetime(2026, 11, 27, 10, 0, 1, tzinfo=UTC)
    assert [sqlite_datetime_text(v) for v in (later, now)] == ["2026-11-27 10:00:01.000000", texts[0]]


def test_a_naive_datetime_is_refused_even_after_the_same_wall_clock_time_was_bound_aware() -> None:
    aware = datetime(2026, 11, 27, 10, 0, 0, 7, tzinfo=UTC)
    assert sqlite_datetime_text(aware) == "2026-11-27 10:00:00.000007"
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_datetime_text(aware.replace(tzinfo=None))


def test_interleaved_instants_past_what_is_kept_each_keep_their_own_text() -> None:
    start = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    instants = [start + timedelta(microseconds=i) for i in range(1000)]
    texts = [sqlite_datetime_text(v) for v in instants for _ in range(2)][::2]
    assert texts == [f"2026-11-27 10:00:00.{i:06d}" for i in range(1000)]
    assert [sqlite_datetime_text(v) for v in reversed(instants)] == texts[::-1]


def test_the_two_readings_of_a_repeated_hour_keep_their_own_instants() -> None:
    """In a zone's repeated hour (the end of daylight saving) one wall time is two instants, and two
    datetimes of the same zone compare by wall time: each must still be stored as its own instant."""
    from zoneinfo import ZoneInfo

    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    second = first.replace(fold=1)
    assert first == second  # what a cache keyed by the datetime alone would be fooled by
    assert [sqlite_datetime_text(first), sqlite_datetime_text(second)] == [
        "2026-11-01 05:30:00.000000",
        "2026-11-01 06:30:00.000000",
    ]
