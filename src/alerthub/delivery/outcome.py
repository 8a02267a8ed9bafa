"""Recording what one attempt did, in one transaction: the row's new status, the channel's health,
a `delivery` event on every linked alert's history, the thread id, and fallback copies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.config.models import ReceiverConfig
from alerthub.delivery.retry import RetryDecision
from alerthub.domain.alert import AlertEvent, EventKind
from alerthub.domain.notification import Notification, NotificationPayload, NotificationStatus
from alerthub.store import channel_state, deliveries, events
from alerthub.store.channel_state import ChannelState


@dataclass(frozen=True, slots=True)
class Attempt:
    row: Notification
    now: datetime
    outcome: str  # sent | retry | failed | merged | suppressed
    detail: str = ""
    external_id: str | None = None
    retry_at: datetime | None = None
    status: int | None = None


async def append_delivery_events(conn: AsyncConnection, *attempts: Attempt) -> None:
    """One `delivery` event per linked alert per attempt, written in one statement (a digest
    records hundreds of merged rows at once)."""
    missing = [a.row.id or 0 for a in attempts if not a.row.alert_ids]
    looked_up = await deliveries.alert_ids(conn, missing)
    links = {a.row.id or 0: a.row.alert_ids or looked_up.get(a.row.id or 0, ()) for a in attempts}
    episodes = await deliveries.episodes(conn, sorted({i for ids in links.values() for i in ids}))
    await events.append_events(
        conn,
        [
            (alert_id, _event(attempt, episodes[alert_id]))
            for attempt in attempts
            for alert_id in links[attempt.row.id or 0]
            if alert_id in episodes
        ],
    )


def _event(attempt: Attempt, episode: int) -> AlertEvent:
    row = attempt.row
    reason = f"attempt {row.attempts} to {row.channel}: {attempt.outcome}"
    if attempt.detail:
        reason += f": {attempt.detail}"
    detail: dict[str, object] = {
        "notification_id": row.id,
        "channel": row.channel,
        "receiver": row.receiver,
        "attempt": row.attempts,
        "outcome": attempt.outcome,
    }
    if attempt.detail:
        detail["error" if attempt.outcome in ("retry", "failed") else "note"] = attempt.detail
    if attempt.status is not None:
        detail["status"] = attempt.status
    if attempt.retry_at is not None:
        detail["retry_at"] = attempt.retry_at.isoformat()
    if attempt.external_id:
        detail["external_id"] = attempt.external_id
    return AlertEvent(EventKind.DELIVERY, attempt.now, f"channel:{row.channel}", episode, reason=reason, detail=detail)


async def record_sent(
    conn: AsyncConnection, row: Notification, external_id: str | None, now: datetime, *, restart_thread: bool = False
) -> None:
    await deliveries.mark_sent(conn, row.id or 0, now, external_id)
    if row.thread_key and external_id:
        await deliveries.save_thread(conn, row.thread_key, row.channel, external_id, now, replace=restart_thread)
    await channel_state.record_success(conn, row.channel, now)
    await append_delivery_events(conn, Attempt(row, now, "sent", external_id=external_id))


async def record_failed(
    conn: AsyncConnection,
    row: Notification,
    decision: RetryDecision,
    text: str,
    status: int | None,
    paused: datetime | None,
    now: datetime,
) -> ChannelState:
    """Back to `pending` for `decision.retry_at`, or `failed`; returns the channel's state after it."""
    if decision.retry_at is not None:
        await deliveries.mark_retry(conn, row.id or 0, decision.retry_at, text)
    else:
        await deliveries.mark_failed(conn, row.id or 0, text)
    state = await channel_state.record_failure(conn, row.channel, now, text, paused)
    outcome = "retry" if decision.retry_at else "failed"
    await append_delivery_events(conn, Attempt(row, now, outcome, text, retry_at=decision.retry_at, status=status))
    return state


def failure_text(decision: RetryDecision, error: str) -> str:
    prefix = {"attempts_exhausted": "retries spent: ", "too_old": "too old to retry: "}.get(decision.reason, "")
    return prefix + error


def needs_fallback(
    receiver: ReceiverConfig | None, state: ChannelState, decision: RetryDecision, now: datetime
) -> bool:
    """A permanent failure falls back at once (it will never arrive); a retryable one only after the
    channel has been failing for `fallback_after`, so a blip does not double every message."""
    if receiver is None or not receiver.fallback:
        return False
    if decision.retry_at is None:
        return True
    return state.failing_since is not None and now - state.failing_since >= receiver.fallback_after


async def enqueue_fallbacks(
    conn: AsyncConnection, row: Notification, payload: NotificationPayload, receiver: ReceiverConfig, now: datetime
) -> list[str]:
    made = []
    for channel in receiver.fallback:
        if channel == row.channel or payload.fallback_from:
            continue
        key = _key(f"{row.idempotency_key}:fallback:{channel}")
        copy = replace(payload, fallback_from=row.channel)
        values = {
            "idempotency_key": key,
            "group_key": row.group_key,
            "receiver": row.receiver,
            "channel": channel,
            "kind": row.kind,
            "status": NotificationStatus.PENDING.value,
            "payload": copy.to_json(),
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "thread_key": f"{row.thread_key}:{channel}"[:300] if row.thread_key else None,
        }
        if await deliveries.insert_row(conn, values, row.alert_ids, if_absent=True) is not None:
            made.append(channel)
    return made


def _key(text: str) -> str:
    """Idempotency keys are at most 100 characters; a long one is shortened by hashing its tail."""
    if len(text) <= 100:
        return text
    return text[:60] + ":" + hashlib.sha256(text.encode()).hexdigest()[:32]
