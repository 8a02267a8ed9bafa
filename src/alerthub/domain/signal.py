from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from alerthub.domain.severity import Severity


class SignalStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True, slots=True)
class Signal:
    """One observation from a source. `status` None lets the rule decide from `value`.

    `identity` names the labels that identify the alert (None: all of them); PagerDuty's
    `dedup_key` is the only identity of its events, whatever else an event carries.
    `raw` is the original payload, kept for audit only: nothing past the parser reads it.
    """

    rule_name: str
    source: str
    value: float | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    status: SignalStatus | None = None
    severity: Severity | None = None
    observed_at: datetime | None = None
    ends_at: datetime | None = None
    identity: tuple[str, ...] | None = None
    raw: Any = None
