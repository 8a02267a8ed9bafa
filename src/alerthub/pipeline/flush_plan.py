"""One group's flush, decided without I/O: mute stages in Alertmanager's order (inhibition, time
windows, silences), then dedup per channel, then the outbox rows, the members' new state, the
decisions for each alert's trace, and when the group is due next.

A message lists the whole group, but an alert's trace says "queued" only for a message that was news
about it: its first, a change of its severity, its return from a mute, its resolution, or a repeat. An
alert that is only carried again because others joined its group gets no new decision, no delivery
line (the payload's `news` leaves it out) and no row of its own in the member updates: the group's
members are marked told in one statement (`touched`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerthub.domain.alert import Alert, AlertEvent, EventKind
from alerthub.domain.clock import utc_text
from alerthub.domain.notification import Notification, NotificationPayload, NotificationStatus
from alerthub.pipeline import dedup
from alerthub.pipeline.batch import NOTIFIED_FIRING, Batch, Member, Muted, Stage, run_stages
from alerthub.pipeline.enqueue import Channel, PayloadBuilder, row
from alerthub.store.escalations import EscalationStart
from alerthub.store.group_members import MemberUpdate
from alerthub.store.mute_log import MutedEntry
from alerthub.store.outbox import NewNotification

Decision = tuple[int, AlertEvent]


@dataclass(frozen=True, slots=True)
class FlushPlan:
    notifications: tuple[NewNotification, ...]
    updates: tuple[MemberUpdate, ...]
    removed: tuple[int, ...]
    decisions: tuple[Decision, ...]
    next_flush_at: datetime | None
    touched: bool = False  # a message told the group's firing members again: see `group_members.touch`
    ticked_at: datetime | None = None  # when the group fell due: its last flush, for its timer
    escalations: tuple[EscalationStart, ...] = ()  # alerts this flush told, for their route's policy
    held_back: tuple[MutedEntry, ...] = ()  # for the summary when their mute ends
    express: tuple[Notification, ...] = ()  # written claimed by this process: sent once committed (express.py)


def plan_flush(
    batch: Batch, stages: list[Stage], channels: Sequence[Channel], builder: PayloadBuilder, flush_id: str
) -> FlushPlan:
    result = run_stages(stages, batch)
    kept, muted = result.batch.members, result.muted
    rows: list[NewNotification] = []
    told: dict[int, list[str]] = defaultdict(list)
    reasons: dict[int, str] = {}
    for ch in channels:
        verdict = dedup.decide(kept, batch.now, batch.group.route.repeat_interval, send_resolved=ch.send_resolved)
        if verdict.reason is None:
            continue
        news = _news_in(verdict.alerts, verdict.reason)
        rows.append(row(_payload(builder, batch, verdict.alerts, verdict.reason, news), ch.name, batch.now, flush_id))
        for m in verdict.alerts:
            told[m.id].append(ch.name)
            reasons[m.id] = verdict.reason
    rows += _suppressed(batch, muted, channels, builder, flush_id)
    decisions = _decisions(batch, kept, muted, told, reasons)
    updates = _updates(batch, kept, muted, told)
    removed = tuple(m.id for m in batch.members if not m.firing)
    touched = any(m.firing for m in kept if m.id in told)
    next_flush_at = _next_flush(batch, kept, muted, told)
    held_back = _held_back(batch, muted)
    return FlushPlan(tuple(rows), updates, removed, decisions, next_flush_at, touched, batch.tick, held_back=held_back)


def _payload(
    builder: PayloadBuilder, batch: Batch, members: Sequence[Member], reason: str, news: tuple[int, ...] | None = None
) -> NotificationPayload:
    g = batch.group
    return builder.payload(g.receiver, g.key, g.labels, [m.alert for m in members], reason, news)


def _news_in(members: Sequence[Member], reason: str) -> tuple[int, ...] | None:
    """The members a message is news about (`_news`), so that only their histories record its delivery;
    None when it is news about all of them."""
    news = tuple(m.id for m in members if _news(m, reason))
    return None if len(news) == len(members) else news


def _newly_muted(muted: Sequence[Muted]) -> list[Muted]:
    # Only what would have been news is recorded as a suppressed notification, once per mute.
    return [
        mu for mu in muted if mu.member.firing and not mu.member.was_notified_firing and mu.member.muted_by != mu.by
    ]


def _held_back(batch: Batch, muted: Sequence[Muted]) -> tuple[MutedEntry, ...]:
    """What the end of its mute is to summarise for this group's receiver (the route says which mutes)."""
    g = batch.group
    return tuple(
        MutedEntry(g.receiver, g.route.path, g.key, mu.by, mu.member.id, mu.member.alert.episode, batch.now)
        for mu in _newly_muted(muted)
        if g.route.summarises(mu.by)
    )


def _suppressed(
    batch: Batch, muted: Sequence[Muted], channels: Sequence[Channel], builder: PayloadBuilder, flush_id: str
) -> list[NewNotification]:
    by_cause: dict[str, list[Muted]] = defaultdict(list)
    for mu in _newly_muted(muted):
        by_cause[mu.by].append(mu)
    out: list[NewNotification] = []
    for by, items in sorted(by_cause.items()):
        payload = _payload(builder, batch, [mu.member for mu in items], items[0].reason)
        for ch in channels:
            out.append(row(payload, ch.name, batch.now, flush_id, status=NotificationStatus.SUPPRESSED, salt=by))
    return out


def decision(a: Alert, now: datetime, stage: str, why: str, **detail: object) -> AlertEvent:
    """A line of the alert's history saying what a pipeline stage decided about it, and why."""
    return AlertEvent(
        kind=EventKind.DECISION, at=now, actor=f"pipeline:{stage}", episode=a.episode, reason=why, detail=dict(detail)
    )


def _event(m: Member, now: datetime, stage: str, why: str, **detail: object) -> Decision:
    return m.id, decision(m.alert, now, stage, why, **detail)


def _decisions(
    batch: Batch,
    kept: Sequence[Member],
    muted: Sequence[Muted],
    told: dict[int, list[str]],
    reasons: dict[int, str],
) -> tuple[Decision, ...]:
    now, key = batch.now, batch.group.key
    out = [
        _event(mu.member, now, mu.stage, mu.reason, group_key=key, by=mu.by)
        for mu in muted
        if mu.member.muted_by != mu.by
    ]
    for m in kept:
        if m.id in told:
            if not _news(m, reasons[m.id]):
                continue
            channels = sorted(told[m.id])
            why = f"{reasons[m.id]}: queued for {', '.join(channels)}"
            out.append(_event(m, now, "enqueue", why, group_key=key, channels=channels, reason=reasons[m.id]))
        elif m.firing and not m.was_notified_firing and m.cooling(now):
            last = m.last_notified_at or m.notified_at
            until = utc_text(last + m.cooldown) if last else ""
            out.append(_event(m, now, "dedup", f"held by the rule's cooldown until {until}", group_key=key))
        elif not m.firing and not m.was_notified_firing:
            out.append(_event(m, now, "dedup", "resolved before any notification; nothing to send", group_key=key))
        elif not m.firing:
            why = f"resolved; no channel of receiver {batch.group.receiver!r} sends resolved messages"
            out.append(_event(m, now, "dedup", why, group_key=key))
    return tuple(out)


def _news(m: Member, reason: str) -> bool:
    """Whether a message that carries this alert tells its receiver something new about it."""
    if reason == dedup.REPEAT or not m.firing or not m.was_notified_firing or m.muted_by is not None:
        return True
    return m.notified_severity != m.alert.severity  # a StrEnum: equal to its text


def _updates(
    batch: Batch, kept: Sequence[Member], muted: Sequence[Muted], told: dict[int, list[str]]
) -> tuple[MemberUpdate, ...]:
    out: list[MemberUpdate] = []
    for m in kept:
        if m.firing and m.id in told:
            if _news(m, ""):  # else `touched` marks it told now, with the whole group in one statement
                out.append(MemberUpdate(m.id, NOTIFIED_FIRING, m.alert.severity.value, batch.now, None))
        elif m.muted_by is not None:
            out.append(MemberUpdate(m.id, m.notified_state, m.notified_severity, m.notified_at, None))
    for mu in muted:
        m = mu.member
        if m.muted_by != mu.by:
            out.append(MemberUpdate(m.id, m.notified_state, m.notified_severity, m.notified_at, mu.by))
    firing = {m.id for m in batch.members if m.firing}
    return tuple(u for u in out if u.alert_id in firing)


def _next_flush(
    batch: Batch, kept: Sequence[Member], muted: Sequence[Muted], told: dict[int, list[str]]
) -> datetime | None:
    route, now, tick = batch.group.route, batch.now, batch.tick
    firing = [m for m in batch.members if m.firing]
    if not firing:
        return None
    told_at = [now if m.id in told else m.notified_at for m in firing if m.was_notified_firing or m.id in told]
    candidates = [max(t for t in told_at if t is not None) + route.repeat_interval] if any(told_at) else []
    waiting = [m for m in kept if m.firing and m.id not in told and not m.was_notified_firing]
    if muted or waiting:
        # Something held back (muted, cooling): look again each group_interval, as Alertmanager's ticks do.
        candidates.append(tick + route.group_interval)
    for m in waiting:
        last = m.last_notified_at or m.notified_at
        if last is not None and m.cooldown:
            candidates.append(max(last + m.cooldown, now))
    return min(candidates) if candidates else tick + route.group_interval
