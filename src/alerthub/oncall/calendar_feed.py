"""A schedule's shifts as an iCalendar feed (RFC 5545) that Google Calendar, Outlook and Apple Calendar
subscribe to: CRLF line ends, lines folded at 75 octets (never inside a UTF-8 character), TEXT values
escaped, times in UTC, one VEVENT per shift with the person in SUMMARY."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from alerthub.domain.oncall import Shift

PRODID = "-//alerthub//on call//EN"


def calendar_feed(schedule: str, shifts: Sequence[Shift], stamp: datetime, host: str = "alerthub") -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(f'On call: {schedule}')}",
        # Subscribers re-read the feed hourly (Outlook and Apple honour these; Google picks its own pace).
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for shift in shifts:
        lines += _event(schedule, shift, stamp, host)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _event(schedule: str, shift: Shift, stamp: datetime, host: str) -> list[str]:
    who = ", ".join(shift.people)
    # Stable across reads while the shift stays the same, so subscribers update instead of duplicating.
    key = f"{schedule}\n{utc_stamp(shift.start)}\n{who}".encode()
    uid = f"{hashlib.sha256(key).hexdigest()[:24]}@{host}"
    note = f"{who} on call for {schedule}" + (" (override)" if shift.override else "")
    return [
        "BEGIN:VEVENT",
        f"UID:{escape(uid)}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(shift.start)}",
        f"DTEND:{utc_stamp(shift.end)}",
        f"SUMMARY:{escape(who + (' (override)' if shift.override else ''))}",
        f"DESCRIPTION:{escape(note)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newline escaped; other control characters dropped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(c for c in text if c >= " " or c == "\t")


def fold(line: str, limit: int = 75) -> str:
    """Lines longer than 75 octets go on in continuation lines that start with a space."""
    parts: list[str] = []
    current, size = "", 0
    room = limit
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > room:
            parts.append(current)
            current, size, room = "", 0, limit - 1  # the leading space counts
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)
