"""The dashboard's read queries on both databases, fed through the real ingest and action paths."""

from __future__ import annotations

from datetime import timedelta

from alerthub.config.models import Config, RuleConfig
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal
from alerthub.hub import build_hub
from alerthub.services.dashboard import DashboardService
from alerthub.store import stats
from alerthub.store.database import Database
from support.clock import FakeClock

CONFIG = Config(rules=[RuleConfig(name="disk", thresholds={Severity.WARNING: 80, Severity.CRITICAL: 95})])


def signal(value: float, host: str) -> Signal:
    return Signal(rule_name="disk", value=value, labels={"host": host}, source="api")


async def test_reopened_alerts_count_as_new_firings_per_hour(db: Database, clock: FakeClock) -> None:
    hub = build_hub(CONFIG, clock=clock, db=db)
    clock.now = clock.now.replace(minute=59, second=30)
    [first] = await hub.ingest.ingest([signal(99, "a")])
    clock.advance(60)  # the next hour
    await hub.alerts.resolve(first.alert_id or 0, "kim")
    clock.advance(60)
    await hub.ingest.ingest([signal(85, "a")])  # fires again: a new episode, warning this time
    await hub.ingest.ingest([signal(85, "b")])
    async with db.read() as conn:
        hours = sorted(await stats.firings_per_hour(conn, clock.now - timedelta(days=1)))
        noisy = await stats.noisiest_rules(conn, clock.now - timedelta(days=1))
        runs = await stats.episodes(conn, clock.now - timedelta(days=1))
    first_hour = (clock.now - timedelta(hours=1)).strftime("%Y-%m-%d %H")
    assert hours == [(first_hour, "critical", 1), (clock.now.strftime("%Y-%m-%d %H"), "warning", 2)]
    assert noisy == [("disk", 3, 2)], "three firings of two alerts"
    assert sorted((r.resolved_at is not None) for r in runs) == [False, False, True]
    overview = await DashboardService(db, clock).overview()
    assert overview.fired == 3 and overview.mttr_seconds == 60 and overview.mtta_seconds is None
    assert len(overview.hours) == 168 and sum(h.total for h in overview.hours) == 3


async def test_board_text_search_is_literal(db: Database, clock: FakeClock) -> None:
    hub = build_hub(CONFIG, clock=clock, db=db)
    await hub.ingest.ingest([signal(99, "db_1"), signal(99, "dbx1")])
    async with db.read() as conn:
        found = await stats.board(conn, stats.BoardFilter(text="DB_1"), limit=10)
    assert [a.labels["host"] for a in found] == ["db_1"], "_ is not a wildcard and case does not matter"
