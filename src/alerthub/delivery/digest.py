"""Digest instead of drop: when a channel's budget is spent and rows wait for it, they are merged
into one message when budget returns. Each merged row keeps its link (`merged_into`) and takes the
digest's outcome, so the delivery log still accounts for every notification."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from alerthub.domain.notification import AlertSnapshot, Notification, NotificationPayload, NotificationStatus
from alerthub.domain.severity import Severity

FOLLOW_UP_REASONS = ("acknowledged", "some alerts resolved", "all alerts resolved")


def is_follow_up(row: Notification) -> bool:
    """An acknowledgement or resolution of a conversation already started on the channel."""
    payload = row.payload if isinstance(row.payload, dict) else {}
    return bool(row.thread_key) and (
        payload.get("status") in ("acknowledged", "resolved") or payload.get("reason") in FOLLOW_UP_REASONS
    )


# What a payload may say beside its alerts, which a digest (alerts only) would drop: a noise report's
# figures, a silence-about-to-end or mute note, a page's note, a handoff.
_BESIDE_ALERTS = ("noise_report", "mute_note", "page_note", "handoff")


def says_more_than_its_alerts(row: Notification) -> bool:
    """A notice whose point is not only its alerts: merged into a digest, what it says would be lost."""
    payload = row.payload if isinstance(row.payload, dict) else {}
    return any(payload.get(key) for key in _BESIDE_ALERTS)


def split(
    rows: Sequence[Notification], tokens: int, keep_apart: Callable[[Notification], bool]
) -> tuple[list[Notification], list[Notification], list[Notification]]:
    """(send alone, merge into one digest, hold for later) for `tokens` sends of budget.

    Oldest first alone; what the budget cannot carry is merged, except rows `keep_apart` (edits
    of an earlier message: merging them would leave that message red forever), which wait."""
    if len(rows) <= tokens:
        return list(rows), [], []
    singles = list(rows[: tokens - 1])
    rest = rows[tokens - 1 :]
    merged = [r for r in rest if not keep_apart(r)]
    held = [r for r in rest if keep_apart(r)]
    if len(merged) <= 1:
        # Not worth a digest: the last send carries one row alone.
        spare = merged or held
        singles.append(spare[0])
        merged = []
        held = [r for r in held if r is not spare[0]]
    return singles, merged, held


def digest_payload(channel: str, payloads: Sequence[NotificationPayload]) -> NotificationPayload:
    """One payload holding every alert of the merged ones; a later snapshot of an alert replaces an
    earlier one, and the worst open alerts come first."""
    latest: dict[int, AlertSnapshot] = {}
    for payload in payloads:
        for snapshot in payload.alerts:
            latest[snapshot.id] = snapshot
    alerts = sorted(latest.values(), key=_order)
    firing = any(a.state != "resolved" for a in alerts)
    first = payloads[0]
    return NotificationPayload(
        receiver=first.receiver,
        group_key=f"digest:{channel}",
        status="firing" if firing else "resolved",
        reason="digest",
        group_labels={},
        common_labels=_common(payloads),
        common_annotations={},
        alerts=tuple(alerts),
        external_url=first.external_url,
    )


def digest_row(
    channel: str,
    rows: Sequence[Notification],
    payload: NotificationPayload,
    *,
    now: datetime,
    worker: str,
    lease_until: datetime,
) -> dict[str, object]:
    return {
        "idempotency_key": f"digest:{channel}:{rows[0].id}:{uuid.uuid4().hex[:16]}"[:100],
        "group_key": payload.group_key,
        "receiver": rows[0].receiver,
        "channel": channel,
        "kind": "digest",
        "status": NotificationStatus.SENDING.value,
        "payload": payload.to_json(),
        "attempts": 1,
        "created_at": now,
        "next_attempt_at": now,
        "claimed_by": worker,
        "claimed_until": lease_until,
    }


def _order(a: AlertSnapshot) -> tuple[int, int, int]:
    severity = Severity.parse(a.severity, Severity.WARNING) or Severity.WARNING
    return (a.state == "resolved", -severity.rank, a.id)


def _common(payloads: Sequence[NotificationPayload]) -> dict[str, str]:
    common = dict(payloads[0].common_labels)
    for payload in payloads[1:]:
        common = {k: v for k, v in common.items() if payload.common_labels.get(k) == v}
    return common
