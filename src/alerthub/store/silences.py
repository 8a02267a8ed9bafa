"""Silences. A silence's state (pending, active, expired) is read from its times and the clock, so a
silence expires by itself: nothing has to run at its end."""

from __future__ import annotations

from dataclasses import replace as dataclass_replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.recurrence import Recurrence
from alerthub.domain.silence import LabelMatcher, Silence
from alerthub.store.tables import silence


async def add(conn: AsyncConnection, s: Silence) -> None:
    await conn.execute(insert(silence).values(**_row(s)))


async def replace(conn: AsyncConnection, s: Silence) -> None:
    values = _row(s)
    values.pop("id")
    values.pop("created_at")
    await conn.execute(update(silence).where(silence.c.id == s.id).values(**values))


async def get(conn: AsyncConnection, silence_id: str, *, for_update: bool = False) -> Silence | None:
    query = select(silence).where(silence.c.id == silence_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _silence(row) if row else None


async def list_all(conn: AsyncConnection, *, limit: int = 1000) -> list[Silence]:
    query = select(silence).order_by(silence.c.ends_at.desc(), silence.c.id).limit(limit)
    return [_silence(row) for row in (await conn.execute(query)).all()]


# Every flush reads it (each fresh group an ingest flushes too): built once, with the time bound.
_NOW = bindparam("b_now", type_=silence.c.starts_at.type)
_ACTIVE = select(silence).where(silence.c.starts_at <= _NOW, silence.c.ends_at > _NOW)


async def active(conn: AsyncConnection, now: datetime) -> list[Silence]:
    """The silences muting now. A recurring one is here only inside an occurrence, and as that occurrence
    alone (its span, no recurrence): what mutes an alert "until" is the occurrence's end, not the series'.
    Only to be read: it is not the stored silence."""
    # Ordered here, not by the query: ORDER BY id made SQLite walk every silence kept (expired ones stay
    # for `retention.silences`) by its primary key instead of the live ones by `ix_silence_ends_at`.
    rows = (await conn.execute(_ACTIVE, {"b_now": now})).all()
    found = sorted((_silence(row) for row in rows), key=lambda s: s.id)
    return [occurrence for s in found if (occurrence := _in_force(s, now)) is not None]


def _in_force(s: Silence, now: datetime) -> Silence | None:
    if s.recurrence is None:
        return s
    window = s.window(now)
    if window is None or not window[0] <= now < window[1]:
        return None
    return dataclass_replace(s, starts_at=window[0], ends_at=window[1], recurrence=None)


def _row(s: Silence) -> dict[str, Any]:
    return {
        "id": s.id,
        "matchers": [
            {"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal} for m in s.matchers
        ],
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "created_by": s.created_by,
        "comment": s.comment,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "annotations": dict(s.annotations),
        "recurrence": _recurrence_json(s.recurrence),
    }


def _silence(row: Any) -> Silence:
    m = row._mapping
    return Silence(
        id=m["id"],
        matchers=tuple(
            LabelMatcher(x["name"], x["value"], bool(x.get("isRegex")), bool(x.get("isEqual", True)))
            for x in m["matchers"]
        ),
        starts_at=m["starts_at"],
        ends_at=m["ends_at"],
        created_by=m["created_by"],
        comment=m["comment"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        annotations=dict(m["annotations"] or {}),
        recurrence=_recurrence(m["recurrence"]),
    )


def _recurrence_json(r: Recurrence | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"rrule": r.rrule, "duration_seconds": r.duration.total_seconds(), "time_zone": r.time_zone}


def _recurrence(data: Any) -> Recurrence | None:
    if not isinstance(data, dict):
        return None
    return Recurrence(data["rrule"], timedelta(seconds=data["duration_seconds"]), data["time_zone"])
