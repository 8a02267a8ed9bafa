"""Counting what one replay wrote to its outbox: messages per receiver and channel, pages, and which of
them came at night.

A message is one outbox row that would be sent (rows written suppressed, the record of a silence or a
mute, are counted apart as `muted`). A page is a message of kind `page`, an escalation step's. A message
comes **at night** when it is written between 22:00 and 08:00 where its reader is: a page naming people,
in each person's `people[].time_zone` (at night for any of them is at night), anything else, and a person
with no zone of their own, in the server's zone (`server.time_zone`, else this machine's). Per rule, a
message counts once for each rule among the alerts it tells of."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, tzinfo

from alerthub.config.models import Config
from alerthub.domain.zones import zone
from alerthub.store.outbox import PAGE
from alerthub.store.outbox_tally import Written

NIGHT_STARTS = time(22, 0)
NIGHT_ENDS = time(8, 0)


@dataclass(frozen=True, slots=True)
class ChannelCount:
    receiver: str
    channel: str
    messages: int = 0
    night: int = 0
    pages: int = 0
    night_pages: int = 0
    muted: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one configuration would have sent. `unknown`: signals left out per rule name, the
    configuration having no such rule."""

    channels: tuple[ChannelCount, ...]
    rules: Mapping[str, int]
    unknown: Mapping[str, int]

    @property
    def messages(self) -> int:
        return sum(c.messages for c in self.channels)

    @property
    def night(self) -> int:
        return sum(c.night for c in self.channels)

    @property
    def pages(self) -> int:
        return sum(c.pages for c in self.channels)


class NightClock:
    """Whether a message is written at night for whoever reads it."""

    def __init__(self, config: Config) -> None:
        self.server = zone(config.server.time_zone)
        self.people: dict[str, tzinfo] = {p.name: zone(p.time_zone) for p in config.people if p.time_zone}

    def at_night(self, row: Written) -> bool:
        zones = [self.people.get(p, self.server) for p in row.paged] or [self.server]
        return any(_night(row.created_at, z) for z in zones)


def _night(at: datetime, where: tzinfo) -> bool:
    local = at.astimezone(where).time()
    return local >= NIGHT_STARTS or local < NIGHT_ENDS


def tally(rows: Iterable[Written], config: Config, unknown: Mapping[str, int]) -> Outcome:
    night = NightClock(config)
    per_channel: dict[tuple[str, str], Counter[str]] = {}
    rules: Counter[str] = Counter()
    for row in rows:
        counts = per_channel.setdefault((row.receiver, row.channel), Counter())
        if row.muted:
            counts["muted"] += 1
            continue
        is_page, dark = row.kind == PAGE, night.at_night(row)
        counts.update(messages=1, night=int(dark), pages=int(is_page), night_pages=int(is_page and dark))
        rules.update(row.rules)
    channels = tuple(ChannelCount(r, c, **counts) for (r, c), counts in sorted(per_channel.items()))
    return Outcome(channels, dict(sorted(rules.items())), dict(sorted(unknown.items())))
