from __future__ import annotations

from datetime import timedelta

_SIZES = (86400, 3600, 60, 1)
# Unit names, largest first: days, hours, minutes, seconds.
UNITS_EN = ("d", "h", "m", "s")


def format_duration(
    span: timedelta, units: tuple[str, str, str, str] = UNITS_EN, *, seconds_below: timedelta | None = None
) -> str:
    """A span as people read it in a message: `6m`, `6m 30s`, `1h 2m`, `3d 4h`; at most the two largest
    units, a zero second unit left out. With `seconds_below`, minutes drop their seconds from that span on
    (a dashboard's `12m` reads faster than `12m 30s`)."""
    seconds = max(0, int(span.total_seconds()))
    for i, size in enumerate(_SIZES):
        if seconds >= size or size == 1:
            first, rest = divmod(seconds, size)
            if i + 1 < len(_SIZES):
                second = rest // _SIZES[i + 1]
                keep = size != 60 or seconds_below is None or seconds < seconds_below.total_seconds()
                if second and keep:
                    return f"{first}{units[i]} {second}{units[i + 1]}"
            return f"{first}{units[i]}"
    return f"0{units[-1]}"
