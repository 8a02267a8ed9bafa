"""What the dashboard reads: the triage board and the last week's overview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from alerthub.domain.alert import Alert
from alerthub.domain.clock import Clock
from alerthub.domain.severity import Severity
from alerthub.store import alerts as alert_store
from alerthub.store import stats
from alerthub.store.database import Database

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class HourBucket:
    start: datetime
    counts: dict[Severity, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Overview:
    since: datetime
    until: datetime
    hours: list[HourBucket]
    fired: int
    mtta_seconds: float | None
    mttr_seconds: float | None
    acknowledged: int
    resolved: int
    noisiest: list[tuple[str, int, int]]
    open_now: int


class DashboardService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def board(self, flt: stats.BoardFilter, limit: int = 300) -> list[Alert]:
        async with self.db.read() as conn:
            return await stats.board(conn, flt, limit=limit)

    async def pickers(self) -> tuple[list[str], list[str]]:
        async with self.db.read() as conn:
            return await stats.distinct_values(conn)

    async def overview(self) -> Overview:
        now = self.clock()
        until = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        since = until - WINDOW
        async with self.db.read() as conn:
            per_hour = await stats.firings_per_hour(conn, since)
            runs = await stats.episodes(conn, since)
            noisy = await stats.noisiest_rules(conn, since)
            by_state = await alert_store.count_by_state(conn)
        return Overview(
            since=since,
            until=until,
            hours=_buckets(per_hour, since),
            fired=sum(n for _h, _s, n in per_hour),
            mtta_seconds=_mean([e.acknowledged_at - e.fired_at for e in runs if e.acknowledged_at]),
            mttr_seconds=_mean([e.resolved_at - e.fired_at for e in runs if e.resolved_at]),
            acknowledged=sum(1 for e in runs if e.acknowledged_at),
            resolved=sum(1 for e in runs if e.resolved_at),
            noisiest=noisy,
            open_now=sum(n for state, n in by_state.items() if state != "resolved"),
        )


def _buckets(rows: list[tuple[str, str, int]], since: datetime) -> list[HourBucket]:
    counts: dict[str, dict[Severity, int]] = {}
    for hour, severity, n in rows:
        sev = Severity.parse(severity, Severity.WARNING) or Severity.WARNING
        slot = counts.setdefault(hour, {})
        slot[sev] = slot.get(sev, 0) + n
    hours = int(WINDOW.total_seconds() // 3600)
    starts = [since + timedelta(hours=i) for i in range(hours)]
    return [HourBucket(s, counts.get(s.strftime("%Y-%m-%d %H"), {})) for s in starts]


def _mean(spans: list[timedelta]) -> float | None:
    positive = [s.total_seconds() for s in spans if s.total_seconds() >= 0]
    return sum(positive) / len(positive) if positive else None
