from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# SQLite only aliases the rowid for INTEGER PRIMARY KEY, not BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return sqlite_datetime_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        parsed: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def sqlite_datetime_text(value: datetime | None) -> str | None:
    """The text SQLite's DATETIME type stores for `value` in UTC (`2026-11-27 10:00:00.000000`), made in
    one step rather than `process_bind_param` followed by SQLAlchemy's own formatter (a `%` format of a
    dict), which is run for every datetime of a bulk insert (bench/NOTES.md). tests/store/test_types.py pins it to
    SQLAlchemy's output."""
    if value is None:
        return None
    text = _bound_texts.get(value)  # equal aware datetimes are one instant, so one text
    if text is not None:
        return text
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use timezone-aware UTC")
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if type(value.tzinfo) is timezone:  # see below
        if len(_bound_texts) >= _BOUND_TEXTS_KEPT:
            _bound_texts.clear()
        _bound_texts[value] = text
    return text


# The texts of the datetimes bound lately: a batch binds the same few instants into most rows and
# columns (its `now` into first seen, last seen, state changed and event times, interleaved with each
# signal's own time in the signal log), so each is formatted once. A naive datetime is never equal to an
# aware one, so it misses here and is refused above. Only fixed offsets (UTC among them) are kept: two
# datetimes of one ZoneInfo zone compare by wall time, so the two readings of a clock's repeated hour
# would share a text. Dict operations are atomic, so threads may share it.
_BOUND_TEXTS_KEPT = 256
_bound_texts: dict[datetime, str] = {}
