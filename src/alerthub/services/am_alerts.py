"""Alertmanager's view of the open alerts (`GET /api/v2/alerts`, `/api/v2/alerts/groups`).

Each open alert (pending, firing, acknowledged) is shown with the labels routing sees (its own plus
`alertname` = the rule and `severity`), the receivers the routing tree gives it, and its status as
services/muting.py judges it: silenced by (silence ids), inhibited by (the inhibiting alert's fingerprint),
muted by (time interval names). A pending alert (its rule's `for` has not run out) is `unprocessed`:
alerthub has not decided yet that it fires.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.clock import Clock
from alerthub.pipeline.enqueue import base_url
from alerthub.pipeline.matchers import Matcher, alert_labels
from alerthub.pipeline.setup import PipelineSetup
from alerthub.services.am_filters import any_receiver_matches, labels_match
from alerthub.services.muting import MuteJudge, time_intervals
from alerthub.store import open_alerts as store
from alerthub.store import silences as silence_store
from alerthub.store.database import Database
from alerthub.store.groups import FiringAlert


class AmState(StrEnum):
    ACTIVE = "active"
    SUPPRESSED = "suppressed"
    UNPROCESSED = "unprocessed"


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Alertmanager's query parameters; each switch left true keeps those alerts."""

    filters: tuple[Matcher, ...] = ()
    receiver: Matcher | None = None  # a regex the receiver's name must match
    active: bool = True
    silenced: bool = True
    inhibited: bool = True
    unprocessed: bool = True
    muted: bool = True  # groups only: false leaves out groups a time interval mutes


@dataclass(frozen=True, slots=True)
class AmAlert:
    alert: Alert
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str
    receivers: tuple[str, ...]
    state: AmState
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    muted_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AmGroup:
    labels: dict[str, str]
    receiver: str
    alerts: tuple[AmAlert, ...]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """One consistent read, and the judge of what mutes each alert in it."""

    alerts: list[Alert]
    memberships: list[store.Membership]
    groups: dict[str, store.GroupInfo]
    judge: MuteJudge


class AlertmanagerView:
    def __init__(self, db: Database, clock: Clock, setup: PipelineSetup) -> None:
        self.db = db
        self.clock = clock
        self.setup = setup
        self.base_url = base_url(setup.config)

    async def alerts(self, query: AlertQuery) -> list[AmAlert]:
        """Alertmanager's `GET /api/v2/alerts`: by fingerprint."""
        snap = await self._read()
        out = []
        for a in snap.alerts:
            view = self._judge(a, snap)
            if _wanted(view, query) and any_receiver_matches(query.receiver, view.receivers):
                out.append(view)
        return sorted(out, key=lambda v: v.alert.fingerprint)

    async def groups(self, query: AlertQuery) -> list[AmGroup]:
        """Alertmanager's `GET /api/v2/alerts/groups`: each group the pipeline made that holds a wanted alert."""
        snap = await self._read(with_groups=True)
        info = snap.groups
        by_id = {a.id: a for a in snap.alerts}
        members: dict[str, list[store.Membership]] = {}
        for m in snap.memberships:
            if m.group_key in info and m.alert_id in by_id:
                members.setdefault(m.group_key, []).append(m)
        out = []
        for key, held in members.items():
            group = info[key]
            time_muted = {name for m in held for name in time_intervals(m.muted_by)}
            if not any_receiver_matches(query.receiver, [group.receiver]) or (time_muted and not query.muted):
                continue
            views = [self._judge(by_id[m.alert_id], snap, set(time_intervals(m.muted_by))) for m in held]
            wanted = sorted((v for v in views if _wanted(v, query)), key=lambda v: v.alert.fingerprint)
            if wanted:
                out.append(AmGroup(group.labels, group.receiver, tuple(wanted)))
        return sorted(out, key=lambda g: (g.receiver, sorted(g.labels.items())))

    def receivers(self) -> list[str]:
        """The configured receivers, then any other name the routing tree sends to (a channel, `default`)."""
        names = [r.name for r in self.setup.config.receivers]
        names += [route.receiver for route in self.setup.root.walk()]
        return list(dict.fromkeys(names))

    async def _read(self, *, with_groups: bool = False) -> _Snapshot:
        async with self.db.read() as conn:
            alerts = await store.open_alerts(conn)
            memberships = await store.open_memberships(conn)
            active = await silence_store.active(conn, self.clock())
            groups = await store.group_info(conn, [m.group_key for m in memberships]) if with_groups else {}
        # Every open alert is read already: the possible inhibitors are among them, no second query.
        firing = [
            FiringAlert(a.id or 0, a.rule_name, a.severity.value, a.labels, a.fingerprint)
            for a in alerts
            if a.state in (AlertState.FIRING, AlertState.ACKNOWLEDGED)
        ]
        judge = MuteJudge(active, self.setup.inhibit_rules, firing, memberships)
        return _Snapshot(alerts, memberships, groups, judge)

    def _judge(self, a: Alert, snap: _Snapshot, time_muted: Collection[str] | None = None) -> AmAlert:
        labels = alert_labels(a.labels, a.rule_name, a.severity.value)
        mute = snap.judge.judge(a, time_muted)
        silenced = tuple(s.id for s in mute.silenced_by)
        inhibited = tuple(src.fingerprint for src in mute.inhibited_by)
        muted = mute.muted_by
        if mute.muted:
            state = AmState.SUPPRESSED
        else:
            state = AmState.UNPROCESSED if a.state is AlertState.PENDING else AmState.ACTIVE
        url, annotations = self._generator(a)
        return AmAlert(a, labels, annotations, url, self._receivers(labels), state, silenced, inhibited, muted)

    def _receivers(self, labels: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(route.receiver for route in self.setup.root.match(labels)))

    def _generator(self, a: Alert) -> tuple[str, dict[str, str]]:
        """The sender's `generatorURL` when it gave one (kept as the `generator_url` annotation), else the
        alert's page here."""
        given = a.annotations.get("generator_url", "")
        if given and urlsplit(given).scheme:
            return given, {k: v for k, v in a.annotations.items() if k != "generator_url"}
        return f"{self.base_url}/alerts/{a.id}", dict(a.annotations)


def _wanted(view: AmAlert, q: AlertQuery) -> bool:
    if not labels_match(q.filters, view.labels):
        return False
    if (view.state is AmState.ACTIVE and not q.active) or (view.state is AmState.UNPROCESSED and not q.unprocessed):
        return False
    return not ((view.silenced_by and not q.silenced) or (view.inhibited_by and not q.inhibited))
