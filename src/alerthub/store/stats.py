"""Read queries for the dashboard: the triage-ordered alert board and the overview numbers.

The overview counts from alert transitions while they exist, and from `daily_rule_stats` for the alerts
retention has pruned (store/rollups.py). A rollup only ever holds pruned rows, so the two add up without
counting anything twice. Rollups are per UTC day: a day that overlaps the window counts whole, and
its firings show in the first hour of it inside the window."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time

from sqlalchemy import case, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from alerthub.domain.alert import Alert
from alerthub.store.alert_queries import AlertFilter, filtered
from alerthub.store.alerts import to_alert
from alerthub.store.tables import alert, alert_event, daily_rule_stats
from alerthub.store.types import UtcDateTime

SEVERITY_RANK = {"info": 0, "warning": 1, "high": 2, "critical": 3}


# The board narrows alerts exactly as the API does; only the order differs.
BoardFilter = AlertFilter


async def board(conn: AsyncConnection, flt: BoardFilter, *, limit: int) -> list[Alert]:
    """Firing, acknowledged, pending, then resolved alerts; in each by severity (highest first), then the
    most recent change first. (What mutes an alert is judged outside SQL: services/dashboard.py.)"""
    query = filtered(select(alert), flt)
    query = query.order_by(
        case(
            (alert.c.state == "firing", 0),
            (alert.c.state == "acknowledged", 1),
            (alert.c.state == "pending", 2),
            else_=3,
        ),
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
    counts: Counter[tuple[str, str]] = Counter()
    for h, s, n in (await conn.execute(query)).all():
        counts[(str(h), str(s or "warning"))] += int(n)
    rolled = (
        select(daily_rule_stats.c.day, daily_rule_stats.c.severity, func.sum(daily_rule_stats.c.firings))
        .where(daily_rule_stats.c.day >= _day(since), daily_rule_stats.c.firings > 0)
        .group_by(daily_rule_stats.c.day, daily_rule_stats.c.severity)
    )
    for day, severity, n in (await conn.execute(rolled)).all():
        start = max(datetime.combine(day, time(), UTC), since)
        counts[(start.strftime("%Y-%m-%d %H"), str(severity))] += int(n)
    return [(h, s, n) for (h, s), n in sorted(counts.items())]


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()


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
    """(rule, times it fired, distinct alerts) since `since`, most firings first. A pruned alert that
    fired on several days counts once per day (the rollup keeps each day's distinct alerts)."""
    fired = func.count().label("fired")
    query = (
        select(alert.c.rule_name, fired, func.count(func.distinct(alert.c.id)))
        .join(alert_event, alert_event.c.alert_id == alert.c.id)
        .where(alert_event.c.kind == "transition", alert_event.c.to_state == "firing", alert_event.c.at >= since)
        .group_by(alert.c.rule_name)
    )
    rolled = (
        select(daily_rule_stats.c.rule_name, func.sum(daily_rule_stats.c.firings), func.sum(daily_rule_stats.c.alerts))
        .where(daily_rule_stats.c.day >= _day(since), daily_rule_stats.c.firings > 0)
        .group_by(daily_rule_stats.c.rule_name)
    )
    totals: dict[str, tuple[int, int]] = {}
    for rows in ((await conn.execute(query)).all(), (await conn.execute(rolled)).all()):
        for rule, f, d in rows:
            before = totals.get(str(rule), (0, 0))
            totals[str(rule)] = (before[0] + int(f), before[1] + int(d))
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    return [(rule, f, d) for rule, (f, d) in ranked[:limit]]


@dataclass(frozen=True)
class EpisodeTotals:
    """The episodes that started firing in a window: how many were acknowledged and resolved, and the
    seconds from firing to each, summed over the `*_timed` spans that are not negative."""

    episodes: int = 0
    acknowledged: int = 0
    ack_seconds: float = 0.0
    ack_timed: int = 0
    resolved: int = 0
    resolve_seconds: float = 0.0
    resolve_timed: int = 0

    @property
    def mtta_seconds(self) -> float | None:
        return self.ack_seconds / self.ack_timed if self.ack_timed else None

    @property
    def mttr_seconds(self) -> float | None:
        return self.resolve_seconds / self.resolve_timed if self.resolve_timed else None


_TOTALS = tuple(f.name for f in fields(EpisodeTotals))


async def episode_totals(conn: AsyncConnection, since: datetime) -> EpisodeTotals:
    """`episodes` summed, with the rolled-up episodes of pruned alerts added."""
    sums = dict.fromkeys(_TOTALS, 0.0)
    for e in await episodes(conn, since):
        sums["episodes"] += 1
        for at, count, seconds, timed in (
            (e.acknowledged_at, "acknowledged", "ack_seconds", "ack_timed"),
            (e.resolved_at, "resolved", "resolve_seconds", "resolve_timed"),
        ):
            if at is None:
                continue
            sums[count] += 1
            if (span := (at - e.fired_at).total_seconds()) >= 0:
                sums[seconds] += span
                sums[timed] += 1
    rolled = select(*(func.coalesce(func.sum(daily_rule_stats.c[name]), 0) for name in _TOTALS)).where(
        daily_rule_stats.c.day >= _day(since)
    )
    row = (await conn.execute(rolled)).one()
    for name, value in zip(_TOTALS, row, strict=True):
        sums[name] += float(value)
    return EpisodeTotals(**{k: v if k.endswith("seconds") else int(v) for k, v in sums.items()})  # type: ignore[arg-type]
