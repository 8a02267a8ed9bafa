"""Recording what one attempt did, in one transaction: the row's new status, the channel's health,
a `delivery` event on the history of every linked alert the message is news about, the thread id, and
fallback copies."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.config.models import ReceiverConfig
from alerthub.delivery.retry import RetryDecision
from alerthub.domain.alert import AlertEvent, EventKind
from alerthub.domain.notification import Notification, NotificationPayload, NotificationStatus
from alerthub.store import channel_state, deliveries, events
from alerthub.store.channel_state import ChannelState
from alerthub.store.outbox import DIGEST


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
    """One `delivery` event per linked alert the message is news about, per attempt, written in one statement (a digest
    records hundreds of merged rows at once)."""
    missing = [a.row.id or 0 for a in attempts if not a.row.alert_ids]
    looked_up = await deliveries.alert_ids(conn, missing)
    links = {a.row.id or 0: _told(a.row, a.row.alert_ids or looked_up.get(a.row.id or 0, ())) for a in attempts}
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


def _told(row: Notification, linked: Sequence[int]) -> Sequence[int]:
    """The linked alerts the message is news about: one only carried again because others joined its
    group has the message among its notifications, not a line in its history for each time it was carried."""
    news = row.payload.get("news")
    if news is None:
        return linked
    wanted = set(news)
    return [i for i in linked if i in wanted]


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


@dataclass(frozen=True, slots=True)
class Sent:
    row: Notification
    now: datetime
    external_id: str | None
    restart_thread: bool = False  # a first notification starts its thread anew (a new episode)
    wait: float | None = None  # the service's headers say its budget is spent for this long


@dataclass(frozen=True, slots=True)
class Failed:
    row: Notification
    now: datetime
    decision: RetryDecision
    text: str
    status: int | None
    paused: datetime | None  # a 429's Retry-After: the whole channel waits until then
    payload: NotificationPayload | None


@dataclass(frozen=True, slots=True)
class Suppressed:
    row: Notification
    now: datetime
    note: str


Outcome = Sent | Failed | Suppressed


async def record(
    conn: AsyncConnection, outcomes: Sequence[Outcome], receivers: Mapping[str, ReceiverConfig]
) -> dict[int, list[str]]:
    """Every outcome of a batch of attempts in one transaction: the rows' new status, the channels'
    health, one `delivery` event per linked alert it is news about, the threads, and fallback copies. Returns the
    fallback channels enqueued, by row id."""
    sent = [o for o in outcomes if isinstance(o, Sent)]
    failed = [o for o in outcomes if isinstance(o, Failed)]
    await deliveries.mark_sent(conn, [(_id(o.row), o.now, o.external_id, o.row.kind == DIGEST) for o in sent])
    await deliveries.mark_retry(
        conn, [(_id(o.row), o.decision.retry_at, o.text) for o in failed if o.decision.retry_at]
    )
    await deliveries.mark_failed(
        conn, [(_id(o.row), o.text, o.row.kind == DIGEST) for o in failed if o.decision.retry_at is None]
    )
    await deliveries.mark_suppressed(conn, [(_id(o.row), o.note) for o in outcomes if isinstance(o, Suppressed)])
    for s in sent:
        if s.row.thread_key and s.external_id:
            await deliveries.save_thread(
                conn, s.row.thread_key, s.row.channel, s.external_id, s.now, replace=s.restart_thread
            )
    states = await _channel_states(conn, [o for o in outcomes if not isinstance(o, Suppressed)])
    await append_delivery_events(conn, *(_attempt(o) for o in outcomes))
    fallbacks: dict[int, list[str]] = {}
    for f in failed:
        receiver = receivers.get(f.row.receiver)
        if f.payload is not None and receiver and needs_fallback(receiver, states[id(f)], f.decision, f.now):
            fallbacks[_id(f.row)] = await enqueue_fallbacks(conn, f.row, f.payload, receiver, f.now)
    return {k: v for k, v in fallbacks.items() if v}


async def _channel_states(conn: AsyncConnection, outcomes: Sequence[Sent | Failed]) -> dict[int, ChannelState]:
    """Each channel's health written once for the batch; the state after each failure, by outcome."""
    after: dict[int, ChannelState] = {}
    for channel in dict.fromkeys(o.row.channel for o in outcomes):
        mine = [o for o in outcomes if o.row.channel == channel]
        events = [(o.now, o.text, o.paused) if isinstance(o, Failed) else (o.now, None, None) for o in mine]
        states = await channel_state.record_outcomes(conn, channel, events)
        after.update((id(o), state) for o, state in zip(mine, states, strict=True))
    return after


def _attempt(o: Outcome) -> Attempt:
    if isinstance(o, Sent):
        return Attempt(o.row, o.now, "sent", external_id=o.external_id)
    if isinstance(o, Suppressed):
        return Attempt(o.row, o.now, "suppressed", o.note)
    kind = "retry" if o.decision.retry_at else "failed"
    return Attempt(o.row, o.now, kind, o.text, retry_at=o.decision.retry_at, status=o.status)


def _id(row: Notification) -> int:
    assert row.id is not None, "only stored rows have outcomes"
    return row.id


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
