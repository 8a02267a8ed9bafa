"""Digest instead of drop: when a channel's budget is spent and rows wait for it, they are merged
into one message when budget returns. Each merged row keeps its link (`merged_into`) and takes the
digest's outcome, so the delivery log still accounts for every notification. Pages are merged the same
way, but only with each other and whatever the budget: one page per person and step (`pages_together`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from alerthub.domain.notification import AlertSnapshot, Notification, NotificationPayload, NotificationStatus
from alerthub.domain.severity import Severity
from alerthub.store.handoffs import HANDOFF
from alerthub.store.outbox import DIGEST, MUTE_SUMMARY, PAGE

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


# A digest is never merged again (its rows follow it one level deep), nor a page or a handoff message
# (addressed to people a digest would not reach), nor a mute's summary (a digest itself).
_APART = (DIGEST, PAGE, MUTE_SUMMARY, HANDOFF)


def kept_apart(row: Notification, *, edits: bool) -> bool:
    """A row that waits for budget rather than be merged into a digest: of a kind in `_APART`, a notice
    whose point is more than its alerts (what it says would be lost), or, on a channel that edits its
    messages (`edits`, Discord), an edit of an earlier one."""
    payload = row.payload if isinstance(row.payload, dict) else {}
    return row.kind in _APART or any(payload.get(key) for key in _BESIDE_ALERTS) or (edits and is_follow_up(row))


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


_PAGES = "pages:"  # the group key of pages merged into one


def pages_together(rows: Sequence[Notification]) -> list[list[Notification]]:
    """Pages claimed together for the same people from the same receiver, two or more (the alerts of an
    outage escalating in step): each list becomes one page, so a person is paged once per step, not once
    per alert, and a channel's pace does not spread a hundred pages over minutes."""
    by_whom: dict[tuple[str, tuple[str, ...]], list[Notification]] = {}
    for r in rows:
        payload = r.payload if isinstance(r.payload, dict) else {}
        # Pages merged already are not merged again (their rows follow them one level deep, as a
        # digest's do), though one can wait for budget and be claimed beside new pages.
        if r.kind == PAGE and not r.group_key.startswith(_PAGES):
            by_whom.setdefault((r.receiver, tuple(payload.get("paged") or ())), []).append(r)
    return [together for together in by_whom.values() if len(together) > 1]


def page_payload(payloads: Sequence[NotificationPayload]) -> NotificationPayload:
    """Pages to the same people as one: every alert, the worst first, and each step's note once."""
    first = payloads[0]
    alerts = digest_payload("", payloads)
    notes = dict.fromkeys(p.page_note for p in payloads if p.page_note)
    return replace(
        alerts,
        group_key=f"{_PAGES}{first.receiver}:{','.join(first.paged)}",
        reason=first.reason,
        paged=first.paged,
        page_note="; ".join(notes) or None,
    )


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
    kind: str = DIGEST,
) -> dict[str, object]:
    return {
        "idempotency_key": f"{kind}:{channel}:{rows[0].id}:{uuid.uuid4().hex[:16]}"[:100],
        "group_key": payload.group_key,
        "receiver": rows[0].receiver,
        "channel": channel,
        "kind": kind,
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
