"""Read queries for the dashboard: the triage-ordered alert board and the overview numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from alerthub.domain.alert import Alert
from alerthub.store.alert_queries import AlertFilter, filtered
from alerthub.store.alerts import to_alert
from alerthub.store.tables import alert, alert_event
from alerthub.store.types import UtcDateTime

SEVERITY_RANK = {"info": 0, "warning": 1, "high": 2, "critical": 3}


# The board narrows alerts exactly as the API does; only the order differs.
BoardFilter = AlertFilter


async def board(conn: AsyncConnection, flt: BoardFilter, *, limit: int) -> list[Alert]:
    """Open alerts first, then by severity (highest first), then the most recent change first."""
    query = filtered(select(alert), flt)
    query = query.order_by(
        case((alert.c.state == "resolved", 1), else_=0),
        _severity_rank().desc(),
        alert.c.state_changed_at.desc(),
        alert.c.id.desc(),
    ).limit(limit)
    return [to_alert(row) for row in (await conn.execute(query)).all()]


def _severity_rank() -> ColumnElement[int]:
    return case(*((alert.c.severity == name, literal(rank)) for name, rank in SEVERITY_RANK.items()), else_=0)


async def distinct_values(conn: AsyncConnection) -> tuple[list[str], list[str]]:
    """The sources and rule names that have alerts, for the filter pickers."""
    sources = (await conn.execute(select(alert.c.source).distinct().order_by(alert.c.source))).scalars().all()
    rules = (await conn.execute(select(alert.c.rule_name).distinct().order_by(alert.c.rule_name))).scalars().all()
    return list(sources), list(rules)


async def firings_per_hour(conn: AsyncConnection, since: datetime) -> list[tuple[str, str, int]]:
    """(hour "YYYY-MM-DD HH", severity, count) of alerts that started firing since `since`."""
    at = alert_event.c.at
    hour = (
        func.to_char(func.timezone("UTC", at), "YYYY-MM-DD HH24")
        if conn.dialect.name == "postgresql"
        else func.strftime("%Y-%m-%d %H", at)
    )
    query = (
        select(hour.label("hour"), alert_event.c.to_severity, func.count())
        .where(alert_event.c.kind == "transition", alert_event.c.to_state == "firing", at >= since)
        .group_by(hour, alert_event.c.to_severity)
    )
    return [(str(h), str(s or "warning"), int(n)) for h, s, n in (await conn.execute(query)).all()]


@dataclass(frozen=True)
class Episode:
    fired_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


async def episodes(conn: AsyncConnection, since: datetime) -> list[Episode]:
    """Per (alert, episode) that started firing since `since`: when it fired, was acknowledged, resolved."""

    def first(state: str) -> ColumnElement[datetime]:
        # type_coerce: min() over a CASE would lose the column's type (and its UTC handling) on SQLite.
        return type_coerce(func.min(case((alert_event.c.to_state == state, alert_event.c.at))), UtcDateTime())

    query = (
        select(first("firing"), first("acknowledged"), first("resolved"))
        .where(alert_event.c.kind == "transition")
        .group_by(alert_event.c.alert_id, alert_event.c.episode)
        .having(first("firing") >= since)
    )
    rows = (await conn.execute(query)).all()
    return [Episode(f, a, r) for f, a, r in rows if f is not None]


async def noisiest_rules(conn: AsyncConnection, since: datetime, limit: int = 10) -> list[tuple[str, int, int]]:
    """(rule, times it fired, distinct alerts) since `since`, most firings first."""
    fired = func.count().label("fired")
    query = (
        select(alert.c.rule_name, fired, func.count(func.distinct(alert.c.id)))
        .join(alert_event, alert_event.c.alert_id == alert.c.id)
        .where(alert_event.c.kind == "transition", alert_event.c.to_state == "firing", alert_event.c.at >= since)
        .group_by(alert.c.rule_name)
        .order_by(fired.desc(), alert.c.rule_name)
        .limit(limit)
    )
    return [(str(r), int(f), int(d)) for r, f, d in (await conn.execute(query)).all()]
