"""The numbers /metrics reads from the database: the unsent outbox and its oldest due row per channel,
open alerts by severity, silences in effect; and on SQLite, that each reads an index rather than the
whole table (an outbox keeps its sent history)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from alerthub.domain.silence import Silence
from alerthub.store import gauges, silences
from alerthub.store.database import Database
from alerthub.store.tables import notification
from support.clock import FakeClock
from support.outbox_rows import add_alert, enqueue, payload


async def _status(db: Database, row_id: int, status: str) -> None:
    async with db.write() as conn:
        await conn.execute(update(notification).where(notification.c.id == row_id).values(status=status))


def _silence(clock: FakeClock, starts: float, ends: float) -> Silence:
    now = clock()
    return Silence(
        str(uuid.uuid4()), (), now + timedelta(seconds=starts), now + timedelta(seconds=ends), "ops", "", now, now
    )


async def test_backlog_counts_unsent_rows_and_ages_the_oldest_due_one(db: Database, clock: FakeClock) -> None:
    body = payload(await add_alert(db, clock()))
    start = clock()
    oldest = await enqueue(db, start, "discord", body)
    await enqueue(db, start + timedelta(seconds=30), "discord", body)
    await enqueue(db, start + timedelta(seconds=500), "discord", body)  # not due yet: counted, not aged
    sent = await enqueue(db, start, "slack", body)
    await _status(db, sent, "sent")
    failed = await enqueue(db, start, "email", body)
    await _status(db, failed, "failed")
    sending = await enqueue(db, start, "webhook", body)
    await _status(db, sending, "sending")
    now = start + timedelta(seconds=90)
    async with db.read() as conn:
        found = await gauges.outbox_backlog(conn, now)
    assert set(found) == {"discord", "webhook"}  # sent and failed rows are no backlog
    assert found["discord"].unsent == 3 and found["discord"].oldest_due == start
    assert found["webhook"] == gauges.ChannelBacklog(1, None)  # being sent: not waiting for an attempt
    await _status(db, oldest, "sent")
    async with db.read() as conn:
        found = await gauges.outbox_backlog(conn, now)
    assert found["discord"].unsent == 2 and found["discord"].oldest_due == start + timedelta(seconds=30)


async def test_open_alerts_by_severity_leave_resolved_ones_out(db: Database, clock: FakeClock) -> None:
    await add_alert(db, clock(), severity="critical")
    await add_alert(db, clock(), severity="critical", state="acknowledged")
    await add_alert(db, clock(), severity="warning", state="pending")
    await add_alert(db, clock(), severity="info", state="resolved")
    async with db.read() as conn:
        assert await gauges.open_by_severity(conn) == {"critical": 2, "warning": 1}


async def test_active_silences_are_those_in_effect_now(db: Database, clock: FakeClock) -> None:
    async with db.write() as conn:
        await silences.add(conn, _silence(clock, -60, 60))
        await silences.add(conn, _silence(clock, -60, 3600))
        await silences.add(conn, _silence(clock, 120, 3600))  # not started
        await silences.add(conn, _silence(clock, -3600, -60))  # expired
    async with db.read() as conn:
        assert await gauges.active_silences(conn, clock()) == 2
        summary = await gauges.operator_gauges(conn, clock() + timedelta(seconds=61))
    assert summary.active_silences == 1 and summary.backlog == {} and summary.open_by_severity == {}


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_the_scrape_queries_read_indexes_not_whole_tables(db: Database, clock: FakeClock) -> None:
    ran: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            ran.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.write() as conn:  # the engine the listener is on (reads may use a second one)
            await gauges.operator_gauges(conn, clock())
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    plans = []
    async with db.write() as conn:
        for statement, parameters in ran:
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append(" | ".join(str(r[-1]) for r in rows))
    assert len(plans) == 3, plans
    backlog, by_severity, silenced = plans
    assert "USING INDEX ix_notification_status_next_attempt_at" in backlog, backlog
    assert "USING INDEX ix_alert_state" in by_severity, by_severity
    assert "USING INDEX ix_silence_ends_at" in silenced, silenced
