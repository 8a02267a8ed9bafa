"""The ingest path's bulk insert on both back ends: it stores exactly what SQLAlchemy Core stores for the
same rows (byte for byte as the database keeps them, since SQLite compares datetimes as text), returns
what it is asked for, skips conflicts when told to, and (SQLite) splits past the bound-value limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, bindparam, cast, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import Text

from alerthub.store import bulk
from alerthub.store.database import Database
from alerthub.store.tables import alert_group, signal_log
from support.counting import statements_sent

AT = datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=UTC)
# Another zone for the same kind of instant: both must store UTC.
ELSEWHERE = datetime(2026, 12, 4, 18, 30, tzinfo=UTC).astimezone(ZoneInfo("Asia/Seoul"))


def _signal_row(n: int, **extra: Any) -> dict[str, Any]:
    row = {
        "received_at": AT + timedelta(seconds=n),
        "rule_name": "disk",
        "source": "api",
        "value": 91.5 if n % 2 else None,
        "status": None,
        "severity": "critical",
        "labels": {"host": f"db-{n}", "note": "ü \" ' ; --"},
        "identity": ["host"] if n % 2 else None,
        "observed_at": ELSEWHERE if n % 3 == 0 else None,
        "ends_at": None,
        "passthrough": bool(n % 2),
    }
    return {**row, **extra}


async def _stored(db: Database, table: Table) -> list[tuple[Any, ...]]:
    """Every column as the database keeps it, read as text, in insertion order without the id."""
    columns = [cast(c, Text).label(c.name) for c in table.columns if c.name != "id"]
    order = table.c.id if "id" in table.c else table.c.group_key
    async with db.read() as conn:
        return [tuple(row) for row in (await conn.execute(select(*columns).order_by(order))).all()]


async def test_stores_what_core_stores(db: Database) -> None:
    rows = [_signal_row(n) for n in range(6)]
    async with db.write() as conn:
        await conn.execute(insert(signal_log), rows)
    by_core = await _stored(db, signal_log)
    async with db.write() as conn:
        await conn.execute(signal_log.delete())
        await bulk.insert_rows(conn, signal_log, rows)
    assert await _stored(db, signal_log) == by_core
    async with db.read() as conn:
        back = (await conn.execute(select(signal_log).order_by(signal_log.c.id))).all()
    assert [r.labels for r in back] == [r["labels"] for r in rows]
    assert back[0].observed_at == ELSEWHERE and back[0].observed_at.tzinfo is not None
    assert [r.identity for r in back[:2]] == [None, ["host"]]
    assert [r.passthrough for r in back[:2]] == [False, True]


async def test_returns_the_rows_inserted_and_skips_conflicts(db: Database) -> None:
    def group(key: str) -> dict[str, Any]:
        return {"group_key": key, "receiver": "ops", "route_path": "0", "group_labels": {"k": key},
                "created_at": AT, "flush_at": None}  # fmt: skip

    async with db.write() as conn:
        first = await bulk.insert_rows(conn, alert_group, [group("a"), group("b")], returning=("group_key",))
        again = await bulk.insert_rows(
            conn, alert_group, [group("b"), group("c")], returning=("group_key",), skip_conflicts=True
        )
    assert sorted(r.group_key for r in first) == ["a", "b"]
    assert [r.group_key for r in again] == ["c"]


async def test_a_batch_past_the_bound_value_limit_is_stored_whole_in_order(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MAX_PARAMETERS", 25)  # SQLite: two rows of 11 columns per statement
    rows = [_signal_row(n) for n in range(7)]
    async with db.write() as conn:
        ids = await bulk.insert_rows(conn, signal_log, rows, returning=("id", "rule_name"))
    assert len(ids) == 7
    stored = await _stored(db, signal_log)
    assert [r[0] for r in stored] == [r[0] for r in sorted(stored)]  # insertion order kept
    assert len(stored) == 7


async def test_a_naive_time_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        async with db.write() as conn:
            await bulk.insert_rows(conn, signal_log, [_signal_row(0, received_at=datetime(2026, 12, 4))])
    assert await _stored(db, signal_log) == []


async def test_updates_store_what_core_stores_and_touch_only_their_rows(db: Database) -> None:
    rows = [_signal_row(n) for n in range(4)]
    changes = [
        {"id": 2, "value": 12.5, "labels": {"host": "moved"}, "ends_at": ELSEWHERE},
        {"id": 4, "value": None, "labels": {}, "ends_at": None},
    ]
    async with db.write() as conn:
        await bulk.insert_rows(conn, signal_log, rows)
        by_id = signal_log.c.id == bindparam("b_id")
        await conn.execute(
            signal_log.update().where(by_id).values(value=bindparam("value"), labels=bindparam("labels"),
                                                     ends_at=bindparam("ends_at")),
            [{"b_id": c["id"], **{k: v for k, v in c.items() if k != "id"}} for c in changes],
        )  # fmt: skip
    by_core = await _stored(db, signal_log)
    async with db.write() as conn:
        await conn.execute(signal_log.delete())
        await bulk.insert_rows(conn, signal_log, [{"id": n + 1, **row} for n, row in enumerate(rows)])
        await bulk.update_rows(conn, signal_log, "id", changes)
    stored = await _stored(db, signal_log)
    assert stored == by_core
    value, labels = 3, 6  # positions in `_stored`'s columns
    assert float(stored[1][value]) == 12.5 and "moved" in stored[1][labels]
    assert "db-0" in stored[0][labels] and "db-2" in stored[2][labels]  # rows not named stay as they were


async def test_a_broken_key_raises_sqlalchemys_error_and_the_transaction_keeps_nothing(db: Database) -> None:
    """On the SQLite writer the statements go to the sqlite3 connection itself: in the caller's transaction,
    with the errors SQLAlchemy would raise (ingest retries on its IntegrityError; the 503 mapping reads its
    DBAPIError)."""
    before = _signal_row(0)
    with pytest.raises(IntegrityError):
        async with db.write() as conn:
            await bulk.insert_rows(conn, signal_log, [{"id": 1, **before}, {"id": 2, **_signal_row(1)}])
            await bulk.update_rows(conn, signal_log, "id", [{"id": 2, "value": 5.0}])
            await bulk.insert_rows(conn, signal_log, [{"id": 1, **_signal_row(2)}])
    assert await _stored(db, signal_log) == [], "the insert and the update before the error rolled back"
    async with db.write() as conn:
        await bulk.insert_rows(conn, signal_log, [before])
    assert len(await _stored(db, signal_log)) == 1


async def test_the_sqlite_writer_takes_its_statements_directly(db: Database) -> None:
    """The fast path is the one taken where it applies, and only there: on the writer in a transaction,
    not on a reading connection (aiosqlite's thread) nor on PostgreSQL."""
    async with db.write() as conn:
        direct = bulk._sqlite_writer(conn)
    async with db.read() as conn:
        reading = bulk._sqlite_writer(conn)
    assert (direct is not None) == (db.dialect == "sqlite")
    assert reading is None


async def test_a_statement_listener_sees_every_bulk_statement(db: Database) -> None:
    """Tracing, or a test counting statements, must see the writes too: where anything listens to the
    engine's statements, the SQLite writer's direct path steps aside for SQLAlchemy's."""
    with statements_sent(db) as sent:
        async with db.write() as conn:
            await bulk.insert_rows(conn, signal_log, [_signal_row(0)])
            await bulk.update_rows(conn, signal_log, "id", [{"id": 1, "value": 5.0}])
    assert [s.split()[0].upper() for s in sent if "signal_log" in s] == ["INSERT", "UPDATE"]
