"""The outbox read whole, for `alerthub backtest` to count what a replay wrote (on its throwaway database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.notification import NotificationStatus
from alerthub.store.tables import notification

_SUPPRESSED = NotificationStatus.SUPPRESSED.value


@dataclass(frozen=True, slots=True)
class Written:
    """One outbox row: `muted` when it was written suppressed (a record that a silence or a mute held it
    back, never sent); `rules` the rule of each alert it tells of, once each; `paged` the people a page
    names."""

    receiver: str
    channel: str
    kind: str
    created_at: datetime
    muted: bool
    rules: tuple[str, ...]
    paged: tuple[str, ...]


async def written(conn: AsyncConnection) -> list[Written]:
    query = select(
        notification.c.receiver,
        notification.c.channel,
        notification.c.kind,
        notification.c.created_at,
        notification.c.status,
        notification.c.payload,
    ).order_by(notification.c.id)
    return [
        Written(
            r.receiver,
            r.channel,
            r.kind,
            r.created_at,
            r.status == _SUPPRESSED,
            tuple(dict.fromkeys(str(a["rule_name"]) for a in r.payload.get("alerts", ()))),
            tuple(str(p) for p in r.payload.get("paged", ())),
        )
        for r in (await conn.execute(query)).all()
    ]
