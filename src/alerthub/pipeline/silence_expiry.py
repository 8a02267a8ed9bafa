"""A silence about to end while alerts it holds back still fire: their receivers are warned, once per
route and end, `silence_expiry_warning` before it (15 minutes unless the route says otherwise), so the
silence can be extended before it pages anyone at night. Decided here without I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from alerthub.domain.alert import Alert
from alerthub.domain.clock import utc_text
from alerthub.domain.silence import Silence
from alerthub.pipeline.enqueue import channels_of, row
from alerthub.pipeline.mute_summary import describe
from alerthub.pipeline.setup import PipelineSetup
from alerthub.store.mute_log import MutedMember
from alerthub.store.outbox import NewNotification

REASON = "silence expiring"
KIND = "silence_expiring"


@dataclass(frozen=True, slots=True)
class ExpiryWarning:
    silence: Silence
    route_path: str
    receiver: str
    alert_ids: tuple[int, ...]


def longest_lead(setup: PipelineSetup) -> timedelta:
    """How far ahead any route warns: silences ending later need no look yet."""
    return max((r.silence_expiry_warning for r in setup.root.walk()), default=timedelta(0))


def due(
    silences: Sequence[Silence], members: Sequence[MutedMember], setup: PipelineSetup, now: datetime
) -> list[ExpiryWarning]:
    """The warnings due now: per silence (`silences` are those in force, a recurring one as its current
    occurrence) and route whose lead time has come, with the firing alerts it holds back there."""
    by_cause = {f"silence:{s.id}": s for s in silences}
    held: dict[tuple[str, str, str], list[int]] = {}
    for m in members:
        if m.cause in by_cause:
            held.setdefault((m.cause, m.route_path, m.receiver), []).append(m.alert_id)
    routes = setup.by_path
    out: list[ExpiryWarning] = []
    for (cause, path, receiver), ids in sorted(held.items()):
        route, silence = routes.get(path), by_cause[cause]
        if route is None or not route.silence_expiry_warning or silence.ends_at - now > route.silence_expiry_warning:
            continue
        out.append(ExpiryWarning(silence, path, receiver, tuple(sorted(set(ids)))))
    return out


def rows(
    warning: ExpiryWarning, alerts: Mapping[int, Alert], setup: PipelineSetup, now: datetime, flush_id: str
) -> list[NewNotification]:
    """One message to each channel of the route, listing what still fires under the silence."""
    route = setup.by_path.get(warning.route_path)
    firing = [alerts[i] for i in warning.alert_ids if i in alerts]
    if route is None or not firing:
        return []
    s = warning.silence
    note = f"{describe(f'silence:{s.id}', {s.id: s})}, ending {utc_text(s.ends_at)}"
    # Its own thread per end: an extended silence's second warning is a new message, not an edit of the first.
    payload = setup.builder.payload(warning.receiver, f"silence:{s.id}:{utc_text(s.ends_at)}", {}, firing, REASON)
    payload = replace(payload, mute_note=note)
    salt = f"{warning.route_path}\x00{s.id}\x00{utc_text(s.ends_at)}"
    return [
        row(payload, ch.name, now, flush_id, kind=KIND, salt=salt, alert_ids=())
        for ch in channels_of(setup.config, route.channels)
    ]
