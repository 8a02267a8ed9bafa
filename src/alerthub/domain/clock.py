from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_text(value: datetime, timespec: str = "auto") -> str:
    """An aware UTC datetime as ISO 8601 with `Z`, as Alertmanager and most APIs write it."""
    return value.isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_text_or_none(value: datetime | None) -> str | None:
    return utc_text(value) if value else None
