"""A handoff message's words, in the channel's language: the shift comes in the payload
(domain/notification.HandoffNote), its times shown on the person's clock, the words from the catalogue."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from alerthub.delivery.message_views import when
from alerthub.domain.notification import HandoffNote


def handoff_subject(note: HandoffNote, t: dict[str, str]) -> str:
    clock = ZoneInfo(note.clock)
    since = when(note.since, clock)
    if note.until is None:
        return t["handoff_open"].format(schedule=note.schedule, since=since)
    return t["handoff"].format(schedule=note.schedule, since=since, until=when(note.until, clock))


def handoff_lines(note: HandoffNote, t: dict[str, str], url: str | None) -> tuple[str, ...]:
    """What follows the subject: who is on call next and from when, and the On call page."""
    if note.next:
        since = when(note.next_since, ZoneInfo(note.clock))
        lines = [t["handoff_next"].format(people=", ".join(note.next), since=since)]
    else:
        lines = [t["handoff_nobody_next"]]
    if url:
        lines.append(f"{t['handoff_page']}: {url.rstrip('/')}/oncall")
    return tuple(lines)
