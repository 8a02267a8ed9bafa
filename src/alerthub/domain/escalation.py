"""Escalation policies and the escalations they run: plain data. The stepping is decided in
oncall/escalation.py, stored by store/escalations.py and driven by services/escalator.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """Page `notify` (`schedule:NAME`, `person:NAME`, `receiver:NAME`) over `via` (None: the channels of
    the receiver the escalation is for), then wait `wait` for an acknowledgement."""

    notify: tuple[str, ...]
    wait: timedelta
    via: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    name: str
    steps: tuple[EscalationStep, ...]
    repeat: int = 0
    ack_timeout: timedelta | None = None


class EscalationState(StrEnum):
    ACTIVE = "active"  # `next_at`: when the next step (`round`, `step`) is taken
    ACKNOWLEDGED = "acknowledged"  # `next_at`: when the acknowledgement lapses (the policy's ack_timeout)
    EXHAUSTED = "exhausted"  # every step taken, nobody acknowledged; wakes only on an acknowledgement
    DONE = "done"  # resolved, or acknowledged with no ack_timeout: nothing more will happen

    @property
    def is_over(self) -> bool:
        return self is EscalationState.DONE


@dataclass(frozen=True, slots=True)
class Escalation:
    """One alert episode's run through one policy, for one receiver. `cycle` counts the restarts after
    a lapsed acknowledgement; (`cycle`, `round`, `step`) names the next step, and is what an instance
    compares and sets when it takes it, so two instances never take one step twice."""

    id: int
    alert_id: int
    episode: int
    receiver: str
    policy: str
    state: EscalationState
    cycle: int
    round: int
    step: int
    next_at: datetime | None
    started_at: datetime
    updated_at: datetime
    note: str = ""  # the last thing it did, and why
    paged: tuple[str, ...] = ()  # everyone paged by its steps so far, in order

    @property
    def position(self) -> tuple[EscalationState, int, int, int]:
        return (self.state, self.cycle, self.round, self.step)
