from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


@dataclass(frozen=True, slots=True)
class Notification:
    """One message for one channel about one alert group, persisted in the outbox before any send."""

    id: int | None
    idempotency_key: str
    group_key: str
    receiver: str
    channel: str
    kind: str
    status: NotificationStatus
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    alert_ids: tuple[int, ...] = ()
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    external_id: str | None = None
    thread_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The payload itself when this process has just written the row and sends it at once (the express
    # path, store/outbox.py `claimed`): delivery uses it instead of decoding `payload` again.
    decoded: NotificationPayload | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AlertSnapshot:
    """An alert as a message shows it, frozen at the moment the notification was queued."""

    id: int
    fingerprint: str
    rule_name: str
    state: str
    severity: str
    value: float | None
    labels: dict[str, str]
    annotations: dict[str, str]
    source: str
    first_seen: str
    last_seen: str
    count: int
    episode: int = 1
    threshold: float | None = None
    comparison: str | None = None
    acknowledged_by: str | None = None
    acknowledged_comment: str | None = None  # what the acknowledging person wrote, in the acknowledged notice
    resolved_at: str | None = None
    url: str | None = None
    # What this alert holds back as the cause of a `dependencies[]` entry: "rule — where" of each.
    also_affected: tuple[str, ...] = ()
    # A flapping notice's words: its recent changes, or how the spell ended (pipeline/flapping.py).
    flapping: str | None = None


@dataclass(frozen=True, slots=True)
class NoiseReport:
    """A receiver's week in numbers (services/noise_reports.py); the message's words are the channel's
    language's, chosen when it is rendered. Times are UTC text; seconds None when nothing was timed."""

    since: str
    until: str
    rules: tuple[tuple[str, int, int], ...]  # (rule, firings, distinct alerts), noisiest first
    assets: tuple[tuple[str, int], ...]  # (asset, firings), noisiest first
    messages: int  # to this receiver in the week
    out_of_hours: int  # of which sent between 22:00 and 08:00 on `clock`
    clock: str  # the report's time zone
    episodes: int
    mtta_seconds: float | None
    mttr_seconds: float | None
    flapping: tuple[str, ...]  # "rule — where" of the alerts that began flapping in the week
    overview_url: str | None = None


@dataclass(frozen=True, slots=True)
class HandoffNote:
    """A person's shift, as the message to them when it starts says it (services/handoffs.py); the words
    are the channel's language's. Times are UTC text, shown on `clock` (the person's time zone, else the
    schedule's); `until` None: no change within a year. `next`: who is on call after them, from
    `next_since` (empty: nobody)."""

    schedule: str
    person: str
    since: str
    until: str | None
    clock: str
    next: tuple[str, ...] = ()
    next_since: str | None = None


@dataclass(frozen=True, slots=True)
class NotificationPayload:
    """The contract between the pipeline (which writes the outbox) and delivery (which renders and sends).

    Stored as JSON in `notification.payload`; `status` is the group's (`firing` while any alert fires),
    `reason` is Alertmanager's notify reason (`first notification`, `new alerts added`,
    `some alerts resolved`, `all alerts resolved`, `repeat interval elapsed`) or ours
    (`acknowledged`, `test`, `digest`, `escalation`, `mute summary`, `handoff`). `fallback_from` names the channel
    this one stands in for. A page (reason `escalation`) names the people it pages in `paged` (their
    addresses are looked up in `people[]` when it is sent) and says which step and why in `page_note`.
    """

    receiver: str
    group_key: str
    status: str
    reason: str
    group_labels: dict[str, str]
    common_labels: dict[str, str]
    common_annotations: dict[str, str]
    alerts: tuple[AlertSnapshot, ...]
    external_url: str | None = None
    fallback_from: str | None = None
    paged: tuple[str, ...] = ()
    page_note: str | None = None
    # A mute's summary (reason `mute summary`): what held the alerts back, e.g. "time interval 'night'".
    mute_note: str | None = None
    noise_report: NoiseReport | None = None  # reason `noise report`: the week's figures, no alerts
    handoff: HandoffNote | None = None  # reason `handoff`: to the person in `paged`, as their shift starts
    # The ids of the alerts this message tells something new (their first, a change, a repeat); the rest
    # it only carries again because others joined their group. None: it is news about every alert.
    news: tuple[int, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NotificationPayload:
        alerts = tuple(_snapshot(a) for a in data.get("alerts", ()))
        report = data.get("noise_report")
        handoff = data.get("handoff")
        return cls(
            **{
                **data,
                "alerts": alerts,
                "paged": tuple(data.get("paged", ())),
                "news": tuple(data["news"]) if data.get("news") is not None else None,
                "noise_report": _report(report) if report is not None else None,
                "handoff": HandoffNote(**{**handoff, "next": tuple(handoff["next"])}) if handoff else None,
            }
        )


def _snapshot(data: dict[str, Any]) -> AlertSnapshot:
    affected = data.get("also_affected")
    return AlertSnapshot(**(data if affected is None else {**data, "also_affected": tuple(affected)}))


def _report(data: dict[str, Any]) -> NoiseReport:
    return NoiseReport(
        **{
            **data,
            "rules": tuple((str(r), int(f), int(a)) for r, f, a in data["rules"]),
            "assets": tuple((str(n), int(f)) for n, f in data["assets"]),
            "flapping": tuple(data["flapping"]),
        }
    )
