from __future__ import annotations

from datetime import timedelta

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def format_duration(span: timedelta) -> str:
    """A span as people read it in a message: `6m`, `6m 30s`, `1h 2m`, `3d 4h`; at most the two largest
    units, a zero second unit left out."""
    seconds = max(0, int(span.total_seconds()))
    for i, (suffix, size) in enumerate(_UNITS):
        if seconds >= size or size == 1:
            first, rest = divmod(seconds, size)
            if i + 1 < len(_UNITS):
                next_suffix, next_size = _UNITS[i + 1]
                second = rest // next_size
                if second:
                    return f"{first}{suffix} {second}{next_suffix}"
            return f"{first}{suffix}"
    return "0s"
