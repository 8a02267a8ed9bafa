"""What the dashboard reads: the triage board and the last week's overview."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.clock import Clock
from alerthub.domain.severity import Severity
from alerthub.pipeline.inhibit import InhibitRule
from alerthub.services.muting import NOT_MUTED, MuteState, read_judge
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


class Tier(IntEnum):
    """The board's order, what needs a person first: nobody has taken a firing alert yet; someone has;
    it may yet fire; nothing will be sent about it now (silenced, inhibited, in a mute window); it is over."""

    UNHANDLED = 0
    ACKNOWLEDGED = 1
    PENDING = 2
    MUTED = 3
    RESOLVED = 4


@dataclass(frozen=True, slots=True)
class BoardRow:
    alert: Alert
    muting: MuteState = NOT_MUTED

    @property
    def tier(self) -> Tier:
        if self.alert.state is AlertState.RESOLVED:
            return Tier.RESOLVED
        if self.muting.muted:
            return Tier.MUTED
        return _TIERS.get(self.alert.state, Tier.UNHANDLED)


_TIERS = {AlertState.ACKNOWLEDGED: Tier.ACKNOWLEDGED, AlertState.PENDING: Tier.PENDING}


def _triage_order(row: BoardRow) -> tuple[int, int, float, int]:
    a = row.alert
    return row.tier, -a.severity.rank, -a.state_changed_at.timestamp(), -(a.id or 0)


class DashboardService:
    def __init__(
        self, db: Database, clock: Clock, inhibit_rules: Callable[[], Sequence[InhibitRule]] = lambda: ()
    ) -> None:
        """`inhibit_rules` is asked at each use: a reload swaps the running configuration's rules, and the
        dashboard outlives it."""
        self.db = db
        self.clock = clock
        self._inhibit_rules = inhibit_rules

    @property
    def inhibit_rules(self) -> Sequence[InhibitRule]:
        return self._inhibit_rules()

    async def board(self, flt: stats.BoardFilter, limit: int = 300) -> list[BoardRow]:
        """The alerts in triage order (tier, then severity, then the newest change), each with what mutes it."""
        async with self.db.read() as conn:
            alerts = await stats.board(conn, flt, limit=limit)
            judge = await read_judge(conn, self.clock(), self.inhibit_rules, alerts)
        rows = [BoardRow(a, judge.judge(a)) for a in alerts]
        return sorted(rows, key=_triage_order)

    async def pickers(self) -> tuple[list[str], list[str]]:
        async with self.db.read() as conn:
            return await stats.distinct_values(conn)

    async def overview(self) -> Overview:
        now = self.clock()
        until = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        since = until - WINDOW
        async with self.db.read() as conn:
            per_hour = await stats.firings_per_hour(conn, since)
            runs = await stats.episode_totals(conn, since)
            noisy = await stats.noisiest_rules(conn, since)
            by_state = await alert_store.count_by_state(conn)
        return Overview(
            since=since,
            until=until,
            hours=_buckets(per_hour, since),
            fired=sum(n for _h, _s, n in per_hour),
            mtta_seconds=runs.mtta_seconds,
            mttr_seconds=runs.mttr_seconds,
            acknowledged=runs.acknowledged,
            resolved=runs.resolved,
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
