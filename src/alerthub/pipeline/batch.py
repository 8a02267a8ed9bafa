"""What travels between stages: a frozen batch of one group's alerts, and what each stage muted."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from alerthub.domain.alert import Alert, AlertState
from alerthub.pipeline.routing import Route

NOTIFIED_FIRING = "firing"
# A constant, not a tuple built of enum members at each call: it is asked about every member several
# times per flush.
_FIRING = frozenset((AlertState.FIRING, AlertState.ACKNOWLEDGED))


@dataclass(frozen=True, slots=True)
class Member:
    """One alert of the group, with what the group's last notification said about it."""

    alert: Alert
    labels: dict[str, str]
    notified_state: str | None = None
    notified_severity: str | None = None
    notified_at: datetime | None = None
    muted_by: str | None = None
    cooldown: timedelta = timedelta(0)
    last_notified_at: datetime | None = None  # by any group: what the cooldown counts from

    @property
    def id(self) -> int:
        assert self.alert.id is not None
        return self.alert.id

    @property
    def firing(self) -> bool:
        """Open and past `for`; an acknowledged alert still fires, it just stops repeating."""
        return self.alert.state in _FIRING

    @property
    def was_notified_firing(self) -> bool:
        return self.notified_state == NOTIFIED_FIRING

    def cooling(self, now: datetime) -> bool:
        """The rule's cooldown since this alert's last notification has not run out."""
        last = self.last_notified_at or self.notified_at
        return bool(self.cooldown) and last is not None and now - last < self.cooldown


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    receiver: str
    route: Route
    labels: dict[str, str]


@dataclass(frozen=True, slots=True)
class Batch:
    group: Group
    now: datetime
    members: tuple[Member, ...]
    # When the group fell due (its timer's tick); group_interval counts from it, as Alertmanager's timer
    # does, so a pass that reaches the group late does not push every later message back as well.
    ticked_at: datetime | None = None

    @property
    def tick(self) -> datetime:
        return self.ticked_at or self.now

    def keep(self, members: tuple[Member, ...]) -> Batch:
        return replace(self, members=members)


def resolution_owed(member: Member, batch: Batch) -> bool:
    """A resolution of what the receiver was paged about is not held back by any mute: people who were
    told an alert fires must learn it stopped (the route's `resolved_while_muted: notify`)."""
    return batch.group.route.announce_resolved_while_muted and not member.firing and member.was_notified_firing


@dataclass(frozen=True, slots=True)
class Muted:
    """An alert a stage held back: `by` names what (`silence:<id>`, `inhibit:<alert id>`, `time:<name>`)."""

    member: Member
    by: str
    reason: str
    stage: str


@dataclass(frozen=True, slots=True)
class StageResult:
    batch: Batch
    muted: tuple[Muted, ...] = ()


class Stage(Protocol):
    name: str

    def run(self, batch: Batch) -> StageResult: ...


def run_stages(stages: list[Stage], batch: Batch) -> StageResult:
    """Run stages in order; each sees only what the previous let through. Stops early when nothing is left."""
    muted: tuple[Muted, ...] = ()
    for stage in stages:
        if not batch.members:
            break
        result = stage.run(batch)
        batch = result.batch
        muted += result.muted
    return StageResult(batch, muted)
