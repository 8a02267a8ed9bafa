"""What each source has sent lately, read from the signal log on both back ends: the last signal of every
source the log keeps and how many arrived since a moment, by index rather than by a walk through the log;
alerthub's own signals (a heartbeat gone quiet, a failing poller) are not a source's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from alerthub.config.models import Config
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.signal_log import SourceActivity
from alerthub.hub import Hub
from alerthub.services.monitoring import source_activity
from alerthub.store import signal_log
from alerthub.store.database import Database
from support.clock import FakeClock


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "rules": [{"name": "api_slow", "thresholds": {"warning": 1000}}],
            "heartbeats": [{"name": "backup", "expect_every": "1h"}],
        }
    )


def signal(source: str) -> Signal:
    return Signal("api_slow", source, value=5.0)


async def log(db: Database, clock: FakeClock, *sources: str) -> None:
    async with db.write() as conn:
        await signal_log.append(conn, clock(), [(signal(s), False) for s in sources])


async def activity(db: Database, since_hours_ago: float, clock: FakeClock) -> list[SourceActivity]:
    async with db.read() as conn:
        return await signal_log.activity_by_source(conn, clock() - timedelta(hours=since_hours_ago))


async def test_an_empty_log_has_no_source(db: Database, clock: FakeClock) -> None:
    assert await activity(db, 24, clock) == []


async def test_each_source_its_last_signal_and_its_count_since(db: Database, clock: FakeClock) -> None:
    start = clock.now
    await log(db, clock, "sentry", "uptime_kuma")
    clock.advance(hours=2)
    await log(db, clock, "api", "api", "sentry")  # one ingest transaction: one time for its signals
    since = clock.now  # exactly at the moment counts
    clock.advance(minutes=30)
    await log(db, clock, "api")
    assert await activity(db, 0.5, clock) == [
        SourceActivity("api", start + timedelta(hours=2, minutes=30), 3),
        SourceActivity("sentry", start + timedelta(hours=2), 1),
        SourceActivity("uptime_kuma", start, 0),  # quiet since: still listed, with when it last spoke
    ]
    assert since == start + timedelta(hours=2)


async def test_a_source_seen_only_long_ago_keeps_its_last_time(db: Database, clock: FakeClock) -> None:
    first = clock.now
    await log(db, clock, "hetrixtools")
    clock.advance(hours=1)
    await log(db, clock, *["api"] * 500)
    clock.advance(days=6)
    await log(db, clock, "api")
    assert await activity(db, 24, clock) == [
        SourceActivity("api", clock.now, 1),
        SourceActivity("hetrixtools", first, 0),
    ]


async def test_sqlite_reads_it_from_the_index_not_the_whole_log(db: Database, clock: FakeClock) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL picks its plan from statistics; SQLite's follows the indexes")
    await log(db, clock, "api", "sentry")
    ran: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        ran.append((statement, parameters))

    async with db.read() as conn:
        event.listen(conn.sync_connection, "before_cursor_execute", capture)
        await signal_log.activity_by_source(conn, clock())
        event.remove(conn.sync_connection, "before_cursor_execute", capture)
        [(statement, parameters)] = ran
        plan = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
    steps = " | ".join(str(row[-1]) for row in plan)
    assert "USING COVERING INDEX ix_signal_log_source_received_at" in steps, steps
    assert "SCAN signal_log" not in steps, steps


async def test_the_status_leaves_out_alerthubs_own_signals(hub: Hub, clock: FakeClock) -> None:
    await hub.heartbeats.check_once(clock())  # writes the configured `backup`: its hour starts now
    await hub.ingest.ingest([signal("api")])
    passthrough = Signal("KubePodCrashLooping", "alertmanager", status=SignalStatus.FIRING)
    await hub.ingest.ingest([passthrough], known_rules_only=False)
    clock.advance(hours=2)
    await hub.heartbeats.check_once(clock())  # never pinged: heartbeat_missing, raised by alerthub itself
    assert [a.source for a in await activity(hub.db, 24, clock)] == ["alertmanager", "api", "heartbeat"]
    assert await source_activity(hub.db, clock()) == [
        SourceActivity("alertmanager", clock.now - timedelta(hours=2), 1),
        SourceActivity("api", clock.now - timedelta(hours=2), 1),
    ]
    clock.advance(hours=23)
    assert [a.received_since for a in await source_activity(hub.db, clock())] == [0, 0], "24 hours back, no more"
