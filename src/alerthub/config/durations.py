from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Every duration is added to "now" somewhere (a timer, a retention cut-off); a century keeps that sum
# inside what a datetime holds, where a typo such as 99999999999d would crash start-up or a loop.
_LONGEST = timedelta(days=36500)


class DurationTooLong(ValueError):
    pass


def parse_duration(value: object) -> timedelta:
    """Prometheus-style durations (`30s`, `5m`, `1h30m`) or plain seconds, at most 100 years."""
    try:
        seconds = _seconds(value)
    except OverflowError:  # more digits than a float holds
        seconds = float("inf")
    if seconds > _LONGEST.total_seconds():
        raise DurationTooLong(f"must be at most 36500d (100 years), not {value!r}")
    return timedelta(seconds=seconds)


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 30s, 5m or 1h")
    if isinstance(value, int | float):
        if value < 0 or value != value:
            raise ValueError("must not be negative")
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return float(int(text))
        parts = _PART.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            return sum(float(n) * _UNIT[u] for n, u in parts)
    raise ValueError(f"must be a duration such as 30s, 5m or 1h, not {value!r}")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than 0s")
    return value


PositiveDuration = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_positive)]
