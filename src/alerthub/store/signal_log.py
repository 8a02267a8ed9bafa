"""The signal log: every signal ingest accepted, written in ingest's own transaction, read back in arrival
order by `alerthub backtest`, pruned by retention. Append-only: a row is never updated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.signal_log import LoggedSignal, SourceActivity
from alerthub.store.bulk import insert_rows
from alerthub.store.tables import signal_log

# Where a page of the log ends: the next page starts after this (arrival time, id).
Position = tuple[datetime, int]


async def append(conn: AsyncConnection, received_at: datetime, entries: Sequence[tuple[Signal, bool]]) -> None:
    """One statement for a whole ingest batch: each entry is a signal and whether it came by passthrough."""
    if not entries:
        return
    await insert_rows(conn, signal_log, [_row(received_at, signal, passthrough) for signal, passthrough in entries])


def _row(received_at: datetime, s: Signal, passthrough: bool) -> dict[str, Any]:
    return {
        "received_at": received_at,
        "rule_name": s.rule_name,
        "source": s.source,
        "value": s.value,
        "status": s.status.value if s.status else None,
        "severity": s.severity.value if s.severity else None,
        "labels": s.labels,
        "identity": list(s.identity) if s.identity is not None else None,
        "observed_at": s.observed_at,
        "ends_at": s.ends_at,
        "passthrough": passthrough,
    }


async def page(
    conn: AsyncConnection, since: datetime, until: datetime, after: Position | None, limit: int
) -> tuple[list[LoggedSignal], Position | None]:
    """Up to `limit` signals received in [since, until) after `after`, oldest first (ties in insertion
    order), and where the next page starts (None: this was the last)."""
    query = select(signal_log).where(signal_log.c.received_at >= since, signal_log.c.received_at < until)
    if after is not None:
        at, last_id = after
        later = or_(signal_log.c.received_at > at, and_(signal_log.c.received_at == at, signal_log.c.id > last_id))
        query = query.where(later)
    query = query.order_by(signal_log.c.received_at, signal_log.c.id).limit(limit)
    rows = (await conn.execute(query)).all()
    found = [_logged(row) for row in rows]
    if len(rows) < limit:
        return found, None
    return found, (rows[-1].received_at, rows[-1].id)


def _logged(row: Any) -> LoggedSignal:
    m = row._mapping
    signal = Signal(
        rule_name=m["rule_name"],
        source=m["source"],
        value=m["value"],
        labels=m["labels"],
        status=SignalStatus(m["status"]) if m["status"] else None,
        severity=Severity(m["severity"]) if m["severity"] else None,
        observed_at=m["observed_at"],
        ends_at=m["ends_at"],
        identity=tuple(m["identity"]) if m["identity"] is not None else None,
    )
    return LoggedSignal(m["received_at"], signal, m["passthrough"])


async def count(conn: AsyncConnection, since: datetime, until: datetime) -> int:
    query = select(func.count()).where(signal_log.c.received_at >= since, signal_log.c.received_at < until)
    return int((await conn.execute(query)).scalar_one())


async def count_before(conn: AsyncConnection, before: datetime) -> int:
    query = select(func.count()).where(signal_log.c.received_at < before)
    return int((await conn.execute(query)).scalar_one())


async def activity_by_source(conn: AsyncConnection, since: datetime) -> list[SourceActivity]:
    """Each source in the log, by name: its last signal's arrival and how many arrived at or after `since`.

    One statement that hops from source to source along ix_signal_log_source_received_at (a recursive
    "next source after this one"), so it costs a few index lookups per source and a count of the
    recent part of the index, however long the log."""
    walk = select(func.min(signal_log.c.source).label("source")).cte("walk", recursive=True)
    after = select(func.min(signal_log.c.source)).where(signal_log.c.source > walk.c.source).scalar_subquery()
    walk = walk.union_all(select(after).where(walk.c.source.is_not(None)))
    mine = signal_log.c.source == walk.c.source
    last = select(func.max(signal_log.c.received_at)).where(mine).scalar_subquery()
    recent = select(func.count()).select_from(signal_log).where(mine, signal_log.c.received_at >= since)
    query = select(walk.c.source, last, recent.scalar_subquery()).where(walk.c.source.is_not(None))
    rows = (await conn.execute(query.order_by(walk.c.source))).all()
    return [SourceActivity(source, at, int(count)) for source, at, count in rows]


async def prune(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Up to `limit` signals received before `before`, the oldest first; how many went."""
    oldest = select(signal_log.c.id).where(signal_log.c.received_at < before)
    oldest = oldest.order_by(signal_log.c.received_at, signal_log.c.id).limit(limit)
    gone = await conn.execute(delete(signal_log).where(signal_log.c.id.in_(oldest.scalar_subquery())))
    return int(gone.rowcount)
