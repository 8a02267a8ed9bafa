"""The alerts of the groups this dispatcher flushes, kept between flushes by version.

A group that keeps growing (an outage: a hundred alerts joining over a minute) is flushed once per
`group_interval`, and every message lists the whole group. Reading and decoding every member's alert
at each flush was most of a storm's CPU; a flush now reads each member's state and version (narrow),
and whole alerts only for members that are new here or changed since they were read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from alerthub.domain.alert import Alert
from alerthub.pipeline.matchers import alert_labels
from alerthub.store.group_members import MemberState

Version = str  # see `group_members.member_states`
ReadAlerts = Callable[[list[int]], Awaitable[dict[int, tuple[Version, Alert]]]]


@dataclass(frozen=True, slots=True)
class Known:
    """An alert as last read, and the labels the stages match on (rule and severity included)."""

    version: Version
    alert: Alert
    labels: dict[str, str]


class AlertCache:
    """Alerts by id. Bounded: past `capacity` the longest-unread go first (they are only read again)."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._known: dict[int, Known] = {}

    async def load(self, states: Sequence[MemberState], read: ReadAlerts) -> dict[int, Known]:
        """The current alert of every given member: from memory when its version still matches, else
        read (one statement for all of them)."""
        out: dict[int, Known] = {}
        stale: list[int] = []
        for s in states:
            known = self._known.get(s.alert_id)
            if known is not None and known.version == s.version:
                out[s.alert_id] = known
            else:
                stale.append(s.alert_id)
        if stale:
            for alert_id, (version, a) in (await read(stale)).items():
                known = Known(version, a, alert_labels(a.labels, a.rule_name, a.severity.value))
                self._known.pop(alert_id, None)  # to the end of the order: the oldest go first
                self._known[alert_id] = known
                out[alert_id] = known
        self._trim()
        return out

    def forget(self, alert_ids: Iterable[int]) -> None:
        """Alerts that left their groups (resolved): not kept in memory for a flush that will not come."""
        for alert_id in alert_ids:
            self._known.pop(alert_id, None)

    def __len__(self) -> int:
        return len(self._known)

    def _trim(self) -> None:
        excess = len(self._known) - self.capacity
        if excess > 0:
            for alert_id in list(islice(self._known, excess)):
                del self._known[alert_id]
