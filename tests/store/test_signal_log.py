"""The signal log on both back ends: ingest writes every signal it accepts, in its own transaction, as the
rules saw it; it reads back in arrival order, page by page; retention prunes it by age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerthub.config.models import Config, RetentionConfig
from alerthub.domain.retention import PruneCounts
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.signal_log import LoggedSignal
from alerthub.errors import UnknownRuleError
from alerthub.hub import Hub
from alerthub.services.retention import Pruner
from alerthub.store import signal_log
from alerthub.store.database import Database
from support.clock import FakeClock

EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "rules": [{"name": "api_slow", "thresholds": {"warning": 1000}}],
            "assets": [{"name": "shop", "matchers": 'service="shop"'}],
        }
    )


async def logged(db: Database, limit: int = 1000) -> list[LoggedSignal]:
    async with db.read() as conn:
        found, _ = await signal_log.page(conn, *EVER, None, limit)
    return found


async def test_ingest_logs_each_signal_as_the_rules_saw_it(hub: Hub, clock: FakeClock) -> None:
    start = clock.now
    ends = start + timedelta(minutes=5)
    slow = Signal("api_slow", "api", value=1500.0, labels={"service": "shop"}, annotations={"summary": "slow"})
    down = Signal(
        "PagerAlert",
        "pagerduty",
        labels={"dedup_key": "k1", "team": "web"},
        status=SignalStatus.FIRING,
        severity=Severity.CRITICAL,
        observed_at=start - timedelta(seconds=3),
        ends_at=ends,
        identity=("dedup_key",),
    )
    await hub.ingest.ingest([slow, slow])
    clock.advance(60)
    await hub.ingest.ingest([down], known_rules_only=False)

    # The asset tag is not logged (a replay derives it from its own configuration), nor are annotations;
    # the two signals of one call share its transaction's time.
    plain = Signal("api_slow", "api", value=1500.0, labels={"service": "shop"})
    kept = down  # it had no annotations: logged exactly as sent
    assert await logged(hub.db) == [
        LoggedSignal(start, plain, passthrough=False),
        LoggedSignal(start, plain, passthrough=False),
        LoggedSignal(start + timedelta(seconds=60), kept, passthrough=True),
    ]


async def test_a_refused_request_logs_nothing(hub: Hub) -> None:
    with pytest.raises(UnknownRuleError):
        await hub.ingest.ingest([Signal("api_slow", "api", value=5.0), Signal("no_such_rule", "api", value=1.0)])
    assert await logged(hub.db) == []


async def test_pages_follow_arrival_order_across_shared_times(hub: Hub, clock: FakeClock) -> None:
    start = clock.now
    for n in range(3):
        await hub.ingest.ingest([Signal("api_slow", "api", value=float(10 * n + i)) for i in range(2)])
        clock.advance(10)
    seen: list[tuple[datetime, float | None]] = []
    after = None
    while True:
        async with hub.db.read() as conn:
            page, after = await signal_log.page(conn, start, start + timedelta(seconds=25), after, 4)
        seen += [(s.received_at, s.signal.value) for s in page]
        if after is None:
            break
    second = start + timedelta(seconds=10)
    third = start + timedelta(seconds=20)
    assert seen == [(start, 0.0), (start, 1.0), (second, 10.0), (second, 11.0), (third, 20.0), (third, 21.0)]
    async with hub.db.read() as conn:
        assert await signal_log.count(conn, second, third) == 2, "since included, until not"


async def test_retention_prunes_signals_older_than_their_retention(hub: Hub, clock: FakeClock) -> None:
    for _day in range(10):
        await hub.ingest.ingest([Signal("api_slow", "api", value=1.0), Signal("api_slow", "api", value=2.0)])
        clock.advance(days=1)
    # Now day 10: signals of days 0 and 1 are more than 8 days old (the default), day 2's exactly 8.
    pruner = Pruner(hub.db, clock, RetentionConfig(), pause=0, batch_size=1)
    assert (await pruner.preview()).signals == 4
    assert await pruner.prune() == PruneCounts(signals=4)
    days = sorted({(s.received_at - (clock.now - timedelta(days=10))).days for s in await logged(hub.db)})
    assert days == [2, 3, 4, 5, 6, 7, 8, 9]
    week = Pruner(hub.db, clock, RetentionConfig(signals=timedelta(days=7)), pause=0)
    assert await week.prune() == PruneCounts(signals=2), "the key sets how long"
