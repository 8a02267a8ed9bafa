from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from alerthub.domain.flapping import NOT_FLAPPING, FlapState
from alerthub.domain.severity import Severity

# The detail key of an acknowledgement's transition that holds what the person wrote (the acknowledged
# message quotes it).
ACK_COMMENT = "comment"


class AlertState(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        return self is not AlertState.RESOLVED


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert identity (rule + identifying labels). A resolved alert that fires again
    keeps its id and starts a new `episode`; `count`, `first_seen` and `peak_value` are per episode."""

    id: int | None
    fingerprint: str
    rule_name: str
    source: str
    state: AlertState
    severity: Severity
    value: float | None
    peak_value: float | None
    labels: dict[str, str]
    annotations: dict[str, str]
    episode: int
    count: int
    first_seen: datetime
    last_seen: datetime
    state_changed_at: datetime
    pending_since: datetime | None = None
    clear_since: datetime | None = None
    ends_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    raw: Any = None
    flap: FlapState = NOT_FLAPPING


class EventKind(StrEnum):
    TRANSITION = "transition"
    SEVERITY = "severity"
    DECISION = "decision"
    DELIVERY = "delivery"
    CHANGE = "change"  # a change elsewhere (a deploy) recorded on the alerts it concerns
    ESCALATION = "escalation"  # a step of an escalation policy taken (who was paged, and why), or its end
    COMMENT = "comment"  # a person's note on the alert, from the page or the API
    FLAPPING = "flapping"  # the alert began flapping (with its recent changes), or a spell ended


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One line of an alert's append-only history: what changed, when, and who or what caused it.

    `actor` reads `signal:<source>`, `user:<name>` or `rule:<rule name>`. Pipeline decisions and
    delivery outcomes use the same record (kinds `decision` and `delivery`), so one query answers
    "why was I, or wasn't I, notified?". A `change` (a deploy reported to `/v2/change/enqueue`) is
    context: it changes nothing about the alert.
    """

    kind: EventKind
    at: datetime
    actor: str
    episode: int
    from_state: AlertState | None = None
    to_state: AlertState | None = None
    from_severity: Severity | None = None
    to_severity: Severity | None = None
    value: float | None = None
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    alert_id: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AlertChange:
    """What one signal did to one alert: the state before (None: new), after, and the events to append."""

    before: Alert | None
    after: Alert
    events: tuple[AlertEvent, ...]

    @property
    def transitioned(self) -> bool:
        return any(e.kind is EventKind.TRANSITION for e in self.events)


_ALERT_FIELDS = tuple(f.name for f in fields(Alert))


def evolve(alert: Alert, **changes: Any) -> Alert:
    """`dataclasses.replace` without its per-call field introspection: the rules copy an alert once or
    twice for every signal ingested (bench/NOTES.md)."""
    values = {name: getattr(alert, name) for name in _ALERT_FIELDS}
    values.update(changes)
    return Alert(**values)
