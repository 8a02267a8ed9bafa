"""An ingest transaction writes its alerts' history in one statement, in the order it was made; a
deferred block that fails writes none of it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from alerthub.config.models import Config
from alerthub.domain.alert import AlertEvent, EventKind
from alerthub.domain.signal import Signal
from alerthub.hub import build_hub
from alerthub.store import events
from alerthub.store.database import Database
from alerthub.store.tables import alert_event
from support.clock import FakeClock
from support.counting import statements_sent

CONFIG = Config.model_validate(
    {
        "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
        "route": {"receiver": "discord", "group_by": ["host"], "group_wait": "0s"},
    }
)


async def test_an_ingest_that_flushes_writes_the_alerts_history_in_one_statement(
    db: Database, clock: FakeClock
) -> None:
    hub = build_hub(CONFIG, clock=clock, db=db)
    with statements_sent(db) as sent:
        [result] = await hub.ingest.ingest([Signal("system_memory_high", "t", value=97, labels={"host": "web-1"})])
    inserts = [s for s in sent if 'INTO "alert_event"' in s or "INTO alert_event" in s]
    assert result.alert_id is not None
    async with db.read() as conn:
        history = await events.history(conn, result.alert_id)
    # Opened, grouped, queued: the alert's change, the grouping hook's line and the flush's decision.
    assert [(e.kind, e.actor.split(":")[0]) for e in history] == [
        (EventKind.TRANSITION, "signal"),
        (EventKind.DECISION, "pipeline"),
        (EventKind.DECISION, "pipeline"),
    ]
    assert "queued for discord" in history[-1].reason
    assert len(inserts) == 1


async def test_a_deferred_block_that_fails_writes_nothing_and_ends_the_deferral(db: Database, clock: FakeClock) -> None:
    hub = build_hub(CONFIG, clock=clock, db=db)
    [result] = await hub.ingest.ingest([Signal("system_memory_high", "t", value=97, labels={"host": "web-2"})])
    assert result.alert_id is not None
    note = AlertEvent(EventKind.COMMENT, clock(), "user:kim", 1, reason="looking")

    async def count() -> int:
        async with db.read() as conn:
            return int((await conn.execute(select(func.count()).select_from(alert_event))).scalar_one())

    before = await count()
    with pytest.raises(RuntimeError):
        async with db.write() as conn, events.deferred(conn):
            await events.append_events(conn, [(result.alert_id, note)])
            raise RuntimeError("the transaction fails")
    assert await count() == before
    async with db.write() as conn:
        await events.append_events(conn, [(result.alert_id, note)])  # no deferral left behind on the connection
    assert await count() == before + 1


async def test_a_deferred_block_inside_another_leaves_the_writing_to_the_outer_one(
    db: Database, clock: FakeClock
) -> None:
    hub = build_hub(CONFIG, clock=clock, db=db)
    [result] = await hub.ingest.ingest([Signal("system_memory_high", "t", value=97, labels={"host": "web-3"})])
    assert result.alert_id is not None
    note = AlertEvent(EventKind.COMMENT, clock(), "user:kim", 1, reason="looking")
    async with db.write() as conn, events.deferred(conn):
        async with events.deferred(conn):
            await events.append_events(conn, [(result.alert_id, note)])
        await events.append_events(conn, [(result.alert_id, replace(note, reason="still looking"))])
    async with db.read() as conn:
        history = await events.history(conn, result.alert_id)
    assert [e.reason for e in history if e.kind is EventKind.COMMENT] == ["looking", "still looking"]
