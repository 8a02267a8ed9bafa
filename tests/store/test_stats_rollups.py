"""The overview outlives pruning: the daily rollups of pruned alerts add up with the raw events of the
kept ones to the numbers the overview showed before, on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from alerthub.config.models import Config, RetentionConfig, RuleConfig
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.hub import Hub, build_hub
from alerthub.services.dashboard import DashboardService, Overview
from alerthub.services.retention import Pruner
from alerthub.store import stats
from alerthub.store.database import Database
from alerthub.store.tables import alert, alert_event, daily_rule_stats
from support.clock import FakeClock

CONFIG = Config(
    rules=[
        RuleConfig(name="disk", thresholds={Severity.WARNING: 80, Severity.CRITICAL: 95}),
        RuleConfig(name="queue", source="api", thresholds={Severity.WARNING: 10}),
    ]
)


async def fire(hub: Hub, rule: str, value: float, host: str) -> int:
    [result] = await hub.ingest.ingest([Signal(rule_name=rule, value=value, labels={"host": host}, source="api")])
    assert result.alert_id is not None
    return result.alert_id


async def clear(hub: Hub, rule: str, host: str) -> None:
    await hub.ingest.ingest([Signal(rule_name=rule, labels={"host": host}, source="api", status=SignalStatus.RESOLVED)])


async def week(hub: Hub, clock: FakeClock) -> None:
    """Five days of alerts: most resolved (to be pruned), one still firing, two firings of one rule on
    one day and the same alert firing again on a later day."""
    now = clock.now
    clock.now = now - timedelta(days=5, hours=-1)
    x = await fire(hub, "disk", 99, "x")
    clock.advance(minutes=10)
    await hub.alerts.acknowledge(x, "kim")
    clock.advance(minutes=20)
    await hub.alerts.resolve(x, "kim")
    await fire(hub, "queue", 50, "q1")
    await fire(hub, "queue", 12, "q2")
    clock.advance(minutes=90)
    await clear(hub, "queue", "q1")
    await clear(hub, "queue", "q2")
    clock.now = now - timedelta(days=4, hours=2)
    await fire(hub, "disk", 85, "y")
    clock.advance(hours=1)
    await clear(hub, "disk", "y")
    clock.now = now - timedelta(days=3, hours=5)
    await fire(hub, "disk", 99, "z")  # still firing: never pruned, counted from its raw events
    await fire(hub, "queue", 30, "q1")  # q1 again, a new episode
    clock.advance(hours=2)
    await clear(hub, "queue", "q1")
    clock.now = now


def per_day(overview: Overview) -> Counter[tuple[str, Severity]]:
    days: Counter[tuple[str, Severity]] = Counter()
    for bucket in overview.hours:
        for severity, n in bucket.counts.items():
            days[(bucket.start.strftime("%Y-%m-%d"), severity)] += n
    return days


async def test_the_overview_reads_the_same_after_pruning(db: Database, clock: FakeClock) -> None:
    hub = build_hub(CONFIG, clock=clock, db=db)
    await week(hub, clock)
    dashboard = DashboardService(db, clock)
    before = await dashboard.overview()
    # One alert a batch: a day's rollup row is added to by several transactions.
    counts = await Pruner(db, clock, RetentionConfig(resolved=timedelta(hours=1)), batch_size=1, pause=0).prune()
    assert counts.alerts == 4 and counts.events > 0
    async with db.read() as conn:
        assert (await conn.execute(select(alert.c.labels))).scalars().all() == [{"host": "z"}]
        assert (await conn.execute(select(func.count()).select_from(daily_rule_stats))).scalar_one() > 0
        kept_events = (await conn.execute(select(func.count()).select_from(alert_event))).scalar_one()
    assert kept_events > 0, "the firing alert's history stays raw"
    after = await dashboard.overview()
    assert (after.fired, after.acknowledged, after.resolved) == (before.fired, before.acknowledged, before.resolved)
    assert (before.fired, before.acknowledged, before.resolved) == (6, 1, 5)
    assert after.mtta_seconds == before.mtta_seconds == 600
    assert after.mttr_seconds == before.mttr_seconds
    assert before.noisiest == [("disk", 3, 3), ("queue", 3, 2)]
    # Distinct alerts are kept per day: q1, pruned after firing on two days, counts once on each.
    assert after.noisiest == [("disk", 3, 3), ("queue", 3, 3)]
    assert per_day(after) == per_day(before), "each day keeps its firings per severity"
    assert after.open_now == before.open_now == 1


async def test_a_pruned_day_shows_in_its_first_hour(db: Database, clock: FakeClock) -> None:
    hub = build_hub(CONFIG, clock=clock, db=db)
    await week(hub, clock)
    since = clock.now - timedelta(days=7)
    async with db.read() as conn:
        raw = await stats.firings_per_hour(conn, since)
    await Pruner(db, clock, RetentionConfig(resolved=timedelta(hours=1)), pause=0).prune()
    async with db.read() as conn:
        rolled = await stats.firings_per_hour(conn, since)
    x_day = (clock.now - timedelta(days=5, hours=-1)).strftime("%Y-%m-%d")
    assert (f"{x_day} 10", "critical", 1) in raw and (f"{x_day} 10", "warning", 2) in raw
    assert (f"{x_day} 00", "critical", 1) in rolled and (f"{x_day} 00", "warning", 2) in rolled
    z_hour = (clock.now - timedelta(days=3, hours=5)).strftime("%Y-%m-%d %H")
    assert (z_hour, "critical", 1) in rolled, "a kept alert's firing keeps its hour"
    assert sum(n for *_, n in rolled) == sum(n for *_, n in raw) == 6


async def test_rollups_outside_the_window_are_not_counted(db: Database, clock: FakeClock) -> None:
    hub = build_hub(CONFIG, clock=clock, db=db)
    await week(hub, clock)
    await Pruner(db, clock, RetentionConfig(resolved=timedelta(hours=1)), pause=0).prune()
    async with db.read() as conn:
        recent = await stats.episode_totals(conn, clock.now - timedelta(days=3, hours=6))
        noisy = await stats.noisiest_rules(conn, clock.now - timedelta(days=3, hours=6))
    # Days 5 and 4 are out; day 3 holds z (firing, raw) and q1's second episode (pruned, rolled up).
    assert (recent.episodes, recent.resolved, recent.resolve_timed) == (2, 1, 1)
    assert recent.mttr_seconds == 7200
    assert noisy == [("disk", 1, 1), ("queue", 1, 1)]
