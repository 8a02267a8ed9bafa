"""Domain objects to JSON-ready dicts. The field names are part of the contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerthub.domain.alert import Alert, AlertEvent
from alerthub.domain.clock import utc_text_or_none
from alerthub.domain.escalation import Escalation
from alerthub.domain.notification import Notification
from alerthub.domain.rule import Rule
from alerthub.services.muting import MuteState


def _ts(value: datetime | None) -> str | None:
    return utc_text_or_none(value)


def alert_json(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "fingerprint": a.fingerprint,
        "rule_name": a.rule_name,
        "state": a.state.value,
        "severity": a.severity.value,
        "value": a.value,
        "peak_value": a.peak_value,
        "labels": a.labels,
        "annotations": a.annotations,
        "source": a.source,
        "episode": a.episode,
        "count": a.count,
        "first_seen": _ts(a.first_seen),
        "last_seen": _ts(a.last_seen),
        "state_changed_at": _ts(a.state_changed_at),
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": _ts(a.acknowledged_at),
        "resolved_at": _ts(a.resolved_at),
        "ends_at": _ts(a.ends_at),
        "flapping": a.flap.flapping,
        "flapping_since": _ts(a.flap.since),
    }


def mute_json(m: MuteState | None) -> dict[str, Any] | None:
    """What holds an open alert back now, or None: the silences (who, why, until when), the alert that
    inhibits it, the time intervals it is muted in."""
    if m is None or not m.muted:
        return None
    return {
        "silenced_by": [
            {"id": s.id, "created_by": s.created_by, "comment": s.comment, "ends_at": _ts(s.ends_at)}
            for s in m.silenced_by
        ],
        "inhibited_by": [{"id": i.id, "fingerprint": i.fingerprint, "rule_name": i.rule_name} for i in m.inhibited_by],
        "muted_by": list(m.muted_by),
    }


def event_json(e: AlertEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind.value,
        "at": _ts(e.at),
        "actor": e.actor,
        "episode": e.episode,
        "from_state": e.from_state.value if e.from_state else None,
        "to_state": e.to_state.value if e.to_state else None,
        "from_severity": e.from_severity.value if e.from_severity else None,
        "to_severity": e.to_severity.value if e.to_severity else None,
        "value": e.value,
        "reason": e.reason,
        "detail": e.detail,
    }


def rule_json(r: Rule) -> dict[str, Any]:
    return {
        "name": r.name,
        "source": r.source,
        "metric": r.metric,
        "comparison": r.comparison.value,
        "thresholds": {s.value: v for s, v in sorted(r.thresholds.items(), key=lambda kv: kv[0].rank)},
        "severity": r.severity.value,
        "for": r.for_.total_seconds(),
        "keep_firing_for": r.keep_firing_for.total_seconds(),
        "cooldown": r.cooldown.total_seconds(),
        "resolves": list(r.resolves),
        "creates_alerts": r.creates_alerts,
        "labels": r.labels,
        "summary": r.summary,
        "description": r.description,
        "builtin": r.builtin,
    }


def notification_json(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "group_key": n.group_key,
        "receiver": n.receiver,
        "channel": n.channel,
        "kind": n.kind,
        "status": n.status.value,
        "attempts": n.attempts,
        "created_at": _ts(n.created_at),
        "next_attempt_at": _ts(n.next_attempt_at),
        "sent_at": _ts(n.sent_at),
        "last_error": n.last_error,
        "alert_ids": list(n.alert_ids),
    }


def escalation_json(e: Escalation) -> dict[str, Any]:
    """Where one escalation stands: `state` (`active`, `acknowledged`, `exhausted`, `done`), the next step
    (`round` and `step` count from 0) and when it is due, and the last thing it did."""
    return {
        "policy": e.policy,
        "receiver": e.receiver,
        "episode": e.episode,
        "state": e.state.value,
        "round": e.round,
        "step": e.step,
        "next_at": _ts(e.next_at),
        "started_at": _ts(e.started_at),
        "updated_at": _ts(e.updated_at),
        "note": e.note,
    }
