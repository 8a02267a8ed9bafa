"""The last stage's output: outbox rows, one per channel, in the shape delivery reads
(`NotificationPayload`). Pure: the dispatcher writes them in the flush's transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerthub.config.models import Config
from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.clock import utc_text_or_none
from alerthub.domain.notification import AlertSnapshot, NotificationPayload, NotificationStatus
from alerthub.domain.rule import RuleLookup
from alerthub.store.outbox import NewNotification


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    send_resolved: bool = True


def channels_of(config: Config, names: Sequence[str]) -> list[Channel]:
    known = {c.name: c for c in config.channels}
    return [Channel(n, known[n].send_resolved) for n in names if n in known]


def base_url(config: Config) -> str:
    server = config.server
    return (server.public_url or f"http://{server.host}:{server.port}").rstrip("/")


def _ts(value: datetime | None) -> str | None:
    return utc_text_or_none(value)


class PayloadBuilder:
    def __init__(self, rules: RuleLookup, url: str, *, memo: int = 20_000) -> None:
        self.rules = rules
        self.url = url
        # The dispatcher hands over the same `Alert` object while the alert is unchanged (see
        # `pipeline/members.py`): its snapshot is built once, not at every flush of its group.
        self._memo: dict[int, tuple[Alert, AlertSnapshot]] = {}
        self._memo_size = memo

    def snapshot(self, a: Alert) -> AlertSnapshot:
        assert a.id is not None
        seen = self._memo.get(a.id)
        if seen is not None and seen[0] is a:
            return seen[1]
        snap = self._snapshot(a)
        self._memo.pop(a.id, None)
        self._memo[a.id] = (a, snap)
        if len(self._memo) > self._memo_size:
            del self._memo[next(iter(self._memo))]
        return snap

    def _snapshot(self, a: Alert) -> AlertSnapshot:
        assert a.id is not None
        rule = self.rules.get(a.rule_name)
        threshold = rule.thresholds.get(a.severity) if rule else None
        return AlertSnapshot(
            id=a.id,
            fingerprint=a.fingerprint,
            rule_name=a.rule_name,
            state=a.state.value,
            severity=a.severity.value,
            value=a.value,
            labels=dict(a.labels),
            annotations=_with_runbook(a.annotations, rule.runbook_url if rule else None),
            source=a.source,
            first_seen=_ts(a.first_seen) or "",
            last_seen=_ts(a.last_seen) or "",
            count=a.count,
            episode=a.episode,
            threshold=threshold,
            comparison=rule.comparison.value if rule and rule.thresholds else None,
            acknowledged_by=a.acknowledged_by,
            resolved_at=_ts(a.resolved_at),
            url=f"{self.url}/alerts/{a.id}",
        )

    def payload(
        self,
        receiver: str,
        group_key: str,
        group_labels: dict[str, str],
        alerts: Sequence[Alert],
        reason: str,
        news: tuple[int, ...] | None = None,
    ) -> NotificationPayload:
        return NotificationPayload(
            receiver=receiver,
            group_key=group_key,
            status=group_status(alerts),
            reason=reason,
            group_labels=dict(group_labels),
            common_labels=_common([a.labels for a in alerts]),
            common_annotations=_common([a.annotations for a in alerts]),
            alerts=tuple(self.snapshot(a) for a in alerts),
            external_url=self.url,
            news=news,
        )


def _with_runbook(annotations: dict[str, str], runbook_url: str | None) -> dict[str, str]:
    if runbook_url is None or "runbook_url" in annotations:
        return dict(annotations)
    return {**annotations, "runbook_url": runbook_url}


def group_status(alerts: Sequence[Alert]) -> str:
    """`firing` while anything fires unacknowledged; `acknowledged` when all that fires is; else `resolved`."""
    states = {a.state for a in alerts}
    if AlertState.FIRING in states:
        return "firing"
    return "acknowledged" if AlertState.ACKNOWLEDGED in states else "resolved"


def _common(maps: Sequence[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first = maps[0]
    return {k: v for k, v in sorted(first.items()) if all(m.get(k) == v for m in maps[1:])}


def row(
    payload: NotificationPayload,
    channel: str,
    now: datetime,
    flush_id: str,
    *,
    status: NotificationStatus = NotificationStatus.PENDING,
    kind: str | None = None,
    salt: str = "",
    alert_ids: tuple[int, ...] | None = None,
) -> NewNotification:
    """One outbox row. The key is unique per (group, channel, flush); the thread key ties every message
    about the group on this channel into one conversation."""
    digest = hashlib.sha256(f"{payload.group_key}\x00{channel}\x00{salt}".encode()).hexdigest()[:32]
    return NewNotification(
        idempotency_key=f"{digest}-{flush_id}",
        group_key=payload.group_key,
        receiver=payload.receiver,
        channel=channel,
        kind=kind or payload.status,
        status=status,
        payload=payload,
        created_at=now,
        next_attempt_at=now,
        thread_key=thread_key(channel, payload.group_key),
        alert_ids=tuple(a.id for a in payload.alerts) if alert_ids is None else alert_ids,
    )


def thread_key(channel: str, group_key: str) -> str:
    key = f"{channel}:{group_key}"
    if len(key) <= 300:
        return key
    return f"{channel}:#{hashlib.sha256(group_key.encode()).hexdigest()[:40]}"
