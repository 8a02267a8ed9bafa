"""The SQLite writer runs on the event loop's thread; reads keep their own threaded engine. Both
must see the same committed data, and a failed write must leave nothing behind."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from alerthub.store import alerts as alert_store
from alerthub.store.database import Database
from alerthub.store.migrate import upgrade
from alerthub.store.tables import alert, silence
from support.clock import FakeClock


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> Any:
    db = Database(f"sqlite:///{tmp_path / 'hub.db'}")
    await upgrade(db)
    yield db
    await db.dispose()


def _silence(sid: str, clock: FakeClock) -> dict[str, Any]:
    now = clock()
    return {"id": sid, "matchers": [], "starts_at": now, "ends_at": now, "created_by": "t", "created_at": now,
            "updated_at": now}  # fmt: skip


async def test_writes_run_on_the_loop_thread_and_reads_see_them(sqlite_db: Database, clock: FakeClock) -> None:
    threads: list[int] = []
    event.listen(
        sqlite_db.engine.sync_engine, "before_cursor_execute", lambda *_a: threads.append(threading.get_ident())
    )
    async with sqlite_db.write() as conn:
        await conn.execute(insert(silence), [_silence("s1", clock)])
    assert threads and set(threads) == {threading.get_ident()}
    async with sqlite_db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(silence))).scalar_one() == 1


async def test_a_failed_write_leaves_nothing(sqlite_db: Database, clock: FakeClock) -> None:
    with pytest.raises(RuntimeError):
        async with sqlite_db.write() as conn:
            await conn.execute(insert(silence), [_silence("s1", clock)])
            raise RuntimeError("the request failed half way")
    async with sqlite_db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(silence))).scalar_one() == 0


async def test_writers_queue_and_never_see_database_is_locked(sqlite_db: Database, clock: FakeClock) -> None:
    async def one(n: int) -> None:
        async with sqlite_db.write() as conn:
            await conn.execute(insert(silence), [_silence(f"s{n}", clock)])
            await asyncio.sleep(0)  # let the others try to write meanwhile

    await asyncio.gather(*(one(n) for n in range(20)))
    async with sqlite_db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(silence))).scalar_one() == 20


async def test_memory_database_keeps_one_engine() -> None:
    db = Database("sqlite:///:memory:")
    try:
        assert db._reader is db.engine
    finally:
        await db.dispose()


def test_saved_rows_name_every_alert_column() -> None:
    """`_row` lists columns by hand (no deep copy); a column added to the table must be added there too."""
    from datetime import UTC, datetime

    from alerthub.domain.alert import Alert, AlertState
    from alerthub.domain.severity import Severity

    now = datetime(2026, 11, 27, tzinfo=UTC)
    sample = Alert(None, "fp", "r", "s", AlertState.FIRING, Severity.WARNING, 1.0, 1.0, {}, {}, 1, 1, now, now, now)
    assert set(alert_store._row(sample)) == {c.name for c in alert.columns} - {"id"}


def test_an_inserted_alert_keeps_every_field_but_its_new_id() -> None:
    from dataclasses import fields, replace
    from datetime import UTC, datetime

    from alerthub.domain.alert import Alert, AlertChange, AlertState
    from alerthub.domain.severity import Severity

    now = datetime(2026, 11, 27, tzinfo=UTC)
    values = {f.name: f"v-{f.name}" for f in fields(Alert)}
    values.update(id=None, state=AlertState.FIRING, severity=Severity.HIGH, first_seen=now, count=3)
    before = Alert(**values)
    saved = alert_store._with_id(AlertChange(None, before, ()), 42)
    assert saved.after == replace(before, id=42)
