"""What holds an open alert back right now, judged as Alertmanager's API judges it at query time: the
active silences that match it, a firing alert an inhibit rule says mutes it, and the time intervals its
groups' last flush found them in (the `time:` entries of `alert_group_member.muted_by`; the other causes
are judged anew here, since a silence or an inhibiting alert may have come or gone since that flush).

The one implementation behind Alertmanager's `GET /api/v2/alerts` (services/am_alerts.py), `GET /api/alerts`
and the dashboard. Judging any number of alerts costs the same three reads.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.silence import Silence
from alerthub.pipeline.inhibit import Inhibitor, InhibitRule
from alerthub.pipeline.matchers import MatcherError, Matchers, alert_labels
from alerthub.pipeline.silence import compile_silence
from alerthub.store import groups as group_store
from alerthub.store import open_alerts as open_store
from alerthub.store import silences as silence_store
from alerthub.store.groups import FiringAlert

OPEN = (AlertState.PENDING, AlertState.FIRING, AlertState.ACKNOWLEDGED)


@dataclass(frozen=True, slots=True)
class Inhibiting:
    """The firing alert that inhibits another."""

    id: int
    fingerprint: str
    rule_name: str


@dataclass(frozen=True, slots=True)
class MuteState:
    silenced_by: tuple[Silence, ...] = ()
    inhibited_by: tuple[Inhibiting, ...] = ()
    muted_by: tuple[str, ...] = ()  # time interval names

    @property
    def muted(self) -> bool:
        return bool(self.silenced_by or self.inhibited_by or self.muted_by)


NOT_MUTED = MuteState()


class MuteJudge:
    """Judges alerts against one consistent read; no further query per alert."""

    def __init__(
        self,
        silences: Iterable[Silence],
        inhibit_rules: Sequence[InhibitRule],
        firing: Sequence[FiringAlert],
        memberships: Iterable[open_store.Membership] = (),
    ) -> None:
        self.silences: list[tuple[Silence, Matchers]] = []
        for s in silences:
            try:
                self.silences.append((s, compile_silence(s)))
            except MatcherError:
                continue  # validated on the way in; a stored bad one must not break a listing
        self.inhibitor = Inhibitor(inhibit_rules, firing) if inhibit_rules else None
        self.sources = {a.id: Inhibiting(a.id, a.fingerprint, a.rule_name) for a in firing}
        self.time_muted: dict[int, set[str]] = {}
        for m in memberships:
            self.time_muted.setdefault(m.alert_id, set()).update(time_intervals(m.muted_by))

    def judge(self, a: Alert, time_muted: Collection[str] | None = None) -> MuteState:
        """`time_muted` narrows the time intervals to one group's (Alertmanager's groups view); by default
        they are those of every group the alert is in. A resolved alert is never muted."""
        if a.state not in OPEN:
            return NOT_MUTED
        labels = alert_labels(a.labels, a.rule_name, a.severity.value)
        silenced = tuple(s for s, matchers in self.silences if matchers.matches(labels))
        found = self.inhibitor.inhibited_by(a.id or 0, labels) if self.inhibitor else None
        inhibited = (self.sources[found[0].alert_id],) if found else ()
        names = self.time_muted.get(a.id or 0, set()) if time_muted is None else time_muted
        state = MuteState(silenced, inhibited, tuple(sorted(names)))
        return state if state.muted else NOT_MUTED

    def judge_all(self, alerts: Iterable[Alert]) -> dict[int, MuteState]:
        """The muted ones among `alerts`, by id."""
        judged = ((a.id or 0, self.judge(a)) for a in alerts)
        return {alert_id: state for alert_id, state in judged if state.muted}


async def read_judge(
    conn: AsyncConnection, now: datetime, inhibit_rules: Sequence[InhibitRule], alerts: Sequence[Alert]
) -> MuteJudge:
    """A judge for `alerts`: the active silences, the possible inhibitors and the time-interval mutes of
    those alerts that are open. Every firing alert may inhibit, so they are read only when an inhibit rule
    could mute one of `alerts` (its target matchers match)."""
    opened = [a for a in alerts if a.id is not None and a.state in OPEN]
    if not opened:
        return MuteJudge((), (), ())
    active = await silence_store.active(conn, now)
    targets = any(
        rule.target.matches(alert_labels(a.labels, a.rule_name, a.severity.value))
        for a in opened
        for rule in inhibit_rules
    )
    firing = await group_store.firing_alerts(conn) if targets else []
    memberships = await open_store.open_memberships(conn, [a.id or 0 for a in opened])
    return MuteJudge(active, inhibit_rules, firing, memberships)


def time_intervals(muted_by: str | None) -> Sequence[str]:
    """`time:<name>[,<name>]` (pipeline/time_window.py) → the interval names; other causes are judged anew."""
    if not muted_by or not muted_by.startswith("time:"):
        return ()
    return [name for name in muted_by.removeprefix("time:").split(",") if name]
