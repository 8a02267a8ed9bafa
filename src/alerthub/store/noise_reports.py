"""What a weekly noise report reads beyond the overview's figures (store/stats.py): the assets that fired
most, the messages a receiver got, the alerts that began flapping; and the mark that a report went out."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import EventKind
from alerthub.domain.notification import NotificationStatus
from alerthub.store.inserts import insert_new
from alerthub.store.outbox import PAGE
from alerthub.store.tables import alert, alert_event, noise_report, notification

# The messages that tell someone something fires: what wakes people at night.
_WAKING = ("firing", PAGE)


def _window(since: datetime, until: datetime) -> Any:
    return alert_event.c.at >= since, alert_event.c.at < until


async def asset_firings(conn: AsyncConnection, since: datetime, until: datetime, limit: int) -> list[tuple[str, int]]:
    """(asset, times its alerts started firing), most first: the `asset` label assets[] gives alerts."""
    query = (
        select(alert.c.labels)
        .join(alert_event, alert_event.c.alert_id == alert.c.id)
        .where(alert_event.c.kind == EventKind.TRANSITION.value, alert_event.c.to_state == "firing")
        .where(*_window(since, until))
    )
    counts = Counter(str(labels["asset"]) for (labels,) in await conn.execute(query) if labels.get("asset"))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


async def message_times(conn: AsyncConnection, receiver: str, since: datetime, until: datetime) -> list[datetime]:
    """When each message that told the receiver something fires (or paged someone) was queued: once per
    group and moment, however many of the receiver's channels carried it."""
    query = (
        select(notification.c.group_key, notification.c.created_at)
        .distinct()
        .where(
            notification.c.receiver == receiver,
            notification.c.kind.in_(_WAKING),
            notification.c.status.not_in([NotificationStatus.SUPPRESSED.value, NotificationStatus.FAILED.value]),
            notification.c.created_at >= since,
            notification.c.created_at < until,
        )
    )
    return [at for _, at in await conn.execute(query)]


async def flap_starts(conn: AsyncConnection, since: datetime, until: datetime) -> list[tuple[str, dict[str, str]]]:
    """(rule, labels) of each alert that began a flapping spell in the window, in order."""
    query = (
        select(alert.c.rule_name, alert.c.labels)
        .join(alert_event, alert_event.c.alert_id == alert.c.id)
        .where(alert_event.c.kind == EventKind.FLAPPING.value, alert_event.c.reason.like("flapping:%"))
        .where(*_window(since, until))
        .order_by(alert_event.c.at, alert_event.c.id)
    )
    return [(str(rule), dict(labels)) for rule, labels in await conn.execute(query)]


async def first_report(conn: AsyncConnection, receiver: str, period_end: datetime, now: datetime) -> bool:
    """Marks the receiver's report for the week ending `period_end` sent; False when it was already."""
    values = {"receiver": receiver, "period_end": period_end, "sent_at": now}
    return await insert_new(conn, noise_report, values, ["receiver", "period_end"]) == 1
