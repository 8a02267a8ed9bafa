"""The daily per-rule sums the overview keeps for pruned alerts (`daily_rule_stats`), written in the
transaction that deletes the alerts, from the same transitions the overview reads while they exist."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from alerthub.store.tables import alert, alert_event, daily_rule_stats

COUNTERS = (
    "firings",
    "alerts",
    "episodes",
    "acknowledged",
    "ack_seconds",
    "ack_timed",
    "resolved",
    "resolve_seconds",
    "resolve_timed",
)
# As the overview reads a firing without a severity (stats.firings_per_hour).
DEFAULT_SEVERITY = "warning"


@dataclass(frozen=True, slots=True)
class Transition:
    alert_id: int
    rule_name: str
    episode: int
    at: datetime
    to_state: str | None
    to_severity: str | None


@dataclass
class _Sums:
    values: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    alert_ids: set[int] = field(default_factory=set)


Key = tuple[date, str, str]


def fold(transitions: Iterable[Transition]) -> dict[Key, dict[str, float]]:
    """(UTC day, rule, severity) -> counters, counted as `stats.firings_per_hour` and `stats.episodes`
    count them: every transition to firing, and per episode its first firing, acknowledgement and
    resolution (an episode that never fired is not one)."""
    sums: dict[Key, _Sums] = defaultdict(_Sums)
    episodes: dict[tuple[int, int], list[Transition]] = defaultdict(list)
    for t in sorted(transitions, key=lambda t: t.at):
        episodes[(t.alert_id, t.episode)].append(t)
        if t.to_state == "firing":
            slot = sums[_key(t)]
            slot.values["firings"] += 1
            slot.alert_ids.add(t.alert_id)
    for steps in episodes.values():
        _add_episode(sums, steps)
    out = {}
    for key, slot in sums.items():
        slot.values["alerts"] = len(slot.alert_ids)
        out[key] = slot.values
    return out


def _add_episode(sums: dict[Key, _Sums], steps: Sequence[Transition]) -> None:
    fired = next((t for t in steps if t.to_state == "firing"), None)
    if fired is None:
        return
    slot = sums[_key(fired)].values
    slot["episodes"] += 1
    for state, count, seconds, timed in (
        ("acknowledged", "acknowledged", "ack_seconds", "ack_timed"),
        ("resolved", "resolved", "resolve_seconds", "resolve_timed"),
    ):
        first = next((t for t in steps if t.to_state == state), None)
        if first is None:
            continue
        slot[count] += 1
        span = (first.at - fired.at).total_seconds()
        if span >= 0:  # the overview's means leave a clock step backwards out too
            slot[seconds] += span
            slot[timed] += 1


def _key(t: Transition) -> Key:
    return t.at.astimezone(UTC).date(), t.rule_name, t.to_severity or DEFAULT_SEVERITY


async def transitions(conn: AsyncConnection, of_alerts: ColumnElement[bool]) -> list[Transition]:
    """The transitions of the alerts `of_alerts` selects (a condition on `alert_event.alert_id`)."""
    query = (
        select(
            alert_event.c.alert_id,
            alert.c.rule_name,
            alert_event.c.episode,
            alert_event.c.at,
            alert_event.c.to_state,
            alert_event.c.to_severity,
        )
        .join(alert, alert.c.id == alert_event.c.alert_id)
        .where(of_alerts, alert_event.c.kind == "transition")
        .order_by(alert_event.c.id)
    )
    return [Transition(*row) for row in (await conn.execute(query)).all()]


async def add(conn: AsyncConnection, sums: dict[Key, dict[str, float]]) -> None:
    """Add to the day's row, creating it: a day's alerts are pruned over several batches and runs."""
    if not sums:
        return
    rows = [{"day": d, "rule_name": r, "severity": s, **values} for (d, r, s), values in sorted(sums.items())]
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(daily_rule_stats)
    t = daily_rule_stats.c
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[t.day, t.rule_name, t.severity],
            set_={name: t[name] + statement.excluded[name] for name in COUNTERS},
        ),
        rows,
    )
