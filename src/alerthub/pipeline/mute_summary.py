"""The end of a mute: one message to each receiver it held back, listing what fired inside it and how
each alert stands now (resolved inside the window, or still firing: that one is also told as usual at
its group's next flush, now that nothing mutes it).

Flushes note what a silence or time interval held back (`FlushPlan.held_back`, the mute log); this
decides, without I/O, which noted mutes have ended and what their summaries say."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from alerthub.domain.alert import Alert, AlertEvent
from alerthub.domain.clock import utc_text
from alerthub.domain.silence import Silence
from alerthub.pipeline.enqueue import channels_of, row
from alerthub.pipeline.flush_plan import decision
from alerthub.pipeline.setup import PipelineSetup
from alerthub.pipeline.time_window import TimeWindowStage
from alerthub.store.mute_log import LoggedMute, MutedEntry
from alerthub.store.outbox import MUTE_SUMMARY, NewNotification

REASON = "mute summary"


@dataclass(frozen=True, slots=True)
class Summaries:
    rows: tuple[NewNotification, ...]
    decisions: tuple[tuple[int, AlertEvent], ...]


def ended(logged: Sequence[LoggedMute], setup: PipelineSetup, silenced_by: Collection[str], now: datetime) -> list[int]:
    """The entries whose mute is over: a silence no longer in force (`silenced_by` holds the
    `silence:<id>` of those that are), a time interval the route is out of, or a route that is gone."""
    routes, window = setup.by_path, TimeWindowStage(setup.intervals)

    def lasts(e: MutedEntry) -> bool:
        if e.cause.startswith("silence:"):
            return e.cause in silenced_by
        route = routes.get(e.route_path)
        return route is not None and window.cause(route, now)[0] == e.cause

    return [m.id for m in logged if not lasts(m.entry)]


def summarise(
    taken: Sequence[MutedEntry],
    alerts: Mapping[int, Alert],
    silences: Mapping[str, Silence],
    setup: PipelineSetup,
    now: datetime,
    flush_id: str,
) -> Summaries:
    """One message per (receiver, route, mute) to the route's channels, every alert it held back once."""
    spells: dict[tuple[str, str, str], dict[int, Alert]] = {}
    for e in taken:
        if e.alert_id in alerts:  # else deleted since (retention): nothing left to tell
            spells.setdefault((e.receiver, e.route_path, e.cause), {})[e.alert_id] = alerts[e.alert_id]
    routes = setup.by_path
    rows: list[NewNotification] = []
    decisions: list[tuple[int, AlertEvent]] = []
    for (receiver, path, cause), held in sorted(spells.items()):
        route = routes.get(path)
        channels = channels_of(setup.config, route.channels) if route is not None else []
        if not channels:
            continue
        note = describe(cause, silences)
        # A group key of its own per summary: a channel that edits its thread in place (Discord) must post
        # tonight's summary anew, not over last night's.
        key = f"mute:{cause}:{utc_text(now)}"
        payload = setup.builder.payload(receiver, key, {}, list(held.values()), REASON)
        payload = replace(payload, mute_note=note)
        rows += [
            row(payload, ch.name, now, flush_id, kind=MUTE_SUMMARY, salt=f"{path}\x00{cause}", alert_ids=())
            for ch in channels
        ]
        names = sorted(ch.name for ch in channels)
        decisions += [(a.id or 0, _decision(a, note, names, now)) for a in held.values()]
    return Summaries(tuple(rows), tuple(decisions))


def describe(cause: str, silences: Mapping[str, Silence]) -> str:
    """What a person reads as the mute's name: `time interval 'night'`, `silence 1f2e… (alice: deploy)`."""
    if cause.startswith("time:"):
        names = [repr(n) for n in cause.removeprefix("time:").split(",") if n]
        return f"time interval{'s' if len(names) > 1 else ''} {', '.join(names)}"
    silence_id = cause.removeprefix("silence:")
    found = silences.get(silence_id)
    if found is None:
        return f"silence {silence_id}"
    return f"silence {silence_id} ({found.created_by}: {found.comment})"


def _decision(a: Alert, note: str, channels: list[str], now: datetime) -> AlertEvent:
    why = f"held back by {note}; in its summary when it ended: queued for {', '.join(channels)}"
    return decision(a, now, "mute_summary", why, channels=channels)
