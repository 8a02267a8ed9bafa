"""Deduplication: is there anything the receiver has not been told? Alertmanager's `needsUpdate`,
compared against what the group's last notification said about each alert.

A message carries every firing alert of the group (and, where the channel takes them, the resolved
ones it had been told were firing), so a responder always sees the whole group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerthub.domain.alert import AlertState
from alerthub.pipeline.batch import Member

FIRST = "first notification"
NEW_ALERTS = "new alerts added"
SOME_RESOLVED = "some alerts resolved"
ALL_RESOLVED = "all alerts resolved"
REPEAT = "repeat interval elapsed"
SEVERITY = "severity changed"
ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True, slots=True)
class Verdict:
    reason: str | None  # None: nothing new, no message
    alerts: tuple[Member, ...]


def decide(members: Sequence[Member], now: datetime, repeat_interval: timedelta, *, send_resolved: bool) -> Verdict:
    firing = [m for m in members if m.firing]
    told_resolved = [m for m in members if not m.firing and m.was_notified_firing] if send_resolved else []
    carried = tuple(firing + told_resolved)
    fresh = [m for m in firing if not m.was_notified_firing and not m.cooling(now)]
    if fresh:
        told_before = any(m.notified_state is not None for m in members)
        return Verdict(NEW_ALERTS if told_before else FIRST, carried)
    if any(_severity_changed(m) and not m.cooling(now) for m in firing):
        return Verdict(SEVERITY, carried)
    if told_resolved:
        # Alerts that fired and resolved between two flushes are left out: the receiver never heard of them.
        return Verdict(SOME_RESOLVED if firing else ALL_RESOLVED, carried)
    if _repeat_due(firing, now, repeat_interval):
        return Verdict(REPEAT, carried)
    return Verdict(None, carried)


def _severity_changed(m: Member) -> bool:
    return m.was_notified_firing and m.notified_severity not in (None, m.alert.severity.value)


def _repeat_due(firing: list[Member], now: datetime, repeat_interval: timedelta) -> bool:
    # Acknowledged alerts stop repeating: someone is on it.
    unacked = [m for m in firing if m.was_notified_firing and m.alert.state is AlertState.FIRING]
    if not unacked:
        return False
    last = max((m.notified_at for m in unacked if m.notified_at is not None), default=None)
    return last is not None and now - last >= repeat_interval and any(not m.cooling(now) for m in unacked)


def next_repeat(members: Sequence[Member], repeat_interval: timedelta) -> datetime | None:
    told = [m.notified_at for m in members if m.firing and m.was_notified_firing and m.notified_at is not None]
    return max(told) + repeat_interval if told else None
