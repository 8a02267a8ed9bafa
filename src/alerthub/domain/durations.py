from __future__ import annotations

from datetime import timedelta

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def format_duration(span: timedelta) -> str:
    """A span as people read it in a message: `6m 0s`, `1h 2m`, `3d 4h`; the two largest units."""
    seconds = max(0, int(span.total_seconds()))
    if seconds == 0:
        return "0s"
    parts: list[str] = []
    for suffix, size in _UNITS:
        amount, seconds = divmod(seconds, size)
        if amount or parts:
            parts.append(f"{amount}{suffix}")
        if len(parts) == 2:
            break
    return " ".join(parts)
