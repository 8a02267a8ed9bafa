from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import AlertEvent, AlertState, EventKind
from alerthub.domain.severity import Severity
from alerthub.store.bulk import insert_rows
from alerthub.store.tables import alert, alert_event

_OPEN = tuple(state.value for state in AlertState if state.is_open)


# The open `deferred` blocks, by the id of their connection (held too, so the id cannot be reused):
# kept here rather than in `conn.info`, which raises once the connection is lost.
_deferred: dict[int, tuple[AsyncConnection, list[dict[str, Any]]]] = {}


async def append_events(conn: AsyncConnection, events: Sequence[tuple[int, AlertEvent]]) -> None:
    """Append-only: history rows are never updated or deleted."""
    if not events:
        return
    rows = [_row(alert_id, e) for alert_id, e in events]
    held = _deferred.get(id(conn))
    if held is not None and held[0] is conn:
        held[1].extend(rows)
        return
    await insert_rows(conn, alert_event, rows)


async def append_event(conn: AsyncConnection, alert_id: int, event: AlertEvent) -> AlertEvent:
    """One event, written at once (not deferred), as stored: with its id and alert id."""
    query = alert_event.insert().values(_row(alert_id, event)).returning(alert_event.c.id)
    new_id = (await conn.execute(query)).scalar_one()
    return replace(event, id=new_id, alert_id=alert_id)


@asynccontextmanager
async def deferred(conn: AsyncConnection) -> AsyncIterator[None]:
    """Within the block, the events appended on `conn` are written together, in order, as it ends: one
    statement where an ingest transaction wrote three (the alerts' changes, their grouping, the flush's
    decisions), which on PostgreSQL is a round trip each. Nothing in the block reads them back. If the
    block raises, none is written (its transaction rolls back)."""
    if id(conn) in _deferred:  # inside another block on this connection: that one writes them
        yield
        return
    held: list[dict[str, Any]] = []
    _deferred[id(conn)] = (conn, held)
    try:
        yield
    finally:
        del _deferred[id(conn)]
    if held:
        await insert_rows(conn, alert_event, held)


async def append_to_open(
    conn: AsyncConnection, selectors: Sequence[Mapping[str, str]], event: AlertEvent, *, limit: int
) -> list[int]:
    """Append `event` (in each alert's current episode) to the open alerts that carry every label of at
    least one selector, the newest `limit` of them; their ids. No selector concerns no alert."""
    wanted = [and_(*(alert.c.labels[k].as_string() == v for k, v in s.items())) for s in selectors if s]
    if not wanted:
        return []
    query = (
        select(alert.c.id, alert.c.episode)
        .where(alert.c.state.in_(_OPEN), or_(*wanted))
        .order_by(alert.c.id.desc())
        .limit(limit)
    )
    rows = (await conn.execute(query)).all()
    await append_events(conn, [(r.id, replace(event, episode=r.episode)) for r in rows])
    return [r.id for r in rows]


async def history(conn: AsyncConnection, alert_id: int, kinds: Sequence[EventKind] | None = None) -> list[AlertEvent]:
    query = select(alert_event).where(alert_event.c.alert_id == alert_id).order_by(alert_event.c.id)
    if kinds:
        query = query.where(alert_event.c.kind.in_([k.value for k in kinds]))
    return [_event(row) for row in (await conn.execute(query)).all()]


def _row(alert_id: int, e: AlertEvent) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "episode": e.episode,
        "kind": e.kind.value,
        "at": e.at,
        "actor": e.actor,
        "from_state": e.from_state.value if e.from_state else None,
        "to_state": e.to_state.value if e.to_state else None,
        "from_severity": e.from_severity.value if e.from_severity else None,
        "to_severity": e.to_severity.value if e.to_severity else None,
        "value": e.value,
        "reason": e.reason,
        "detail": e.detail or None,
    }


def _event(row: Row[Any]) -> AlertEvent:
    m = row._mapping
    return AlertEvent(
        id=m["id"],
        alert_id=m["alert_id"],
        kind=EventKind(m["kind"]),
        at=m["at"],
        actor=m["actor"],
        episode=m["episode"],
        from_state=AlertState(m["from_state"]) if m["from_state"] else None,
        to_state=AlertState(m["to_state"]) if m["to_state"] else None,
        from_severity=Severity(m["from_severity"]) if m["from_severity"] else None,
        to_severity=Severity(m["to_severity"]) if m["to_severity"] else None,
        value=m["value"],
        reason=m["reason"],
        detail=m["detail"] or {},
    )
