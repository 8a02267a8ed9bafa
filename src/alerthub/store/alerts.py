from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert, AlertChange, AlertState
from alerthub.domain.clock import utc_text, utc_text_or_none
from alerthub.domain.flapping import NOT_FLAPPING, FlapState
from alerthub.domain.severity import Severity
from alerthub.store.bulk import insert_rows, update_rows
from alerthub.store.events import append_events
from alerthub.store.tables import alert


async def load_by_fingerprints(
    conn: AsyncConnection, fingerprints: Iterable[str], *, for_update: bool = False
) -> dict[str, Alert]:
    wanted = sorted(set(fingerprints))
    if not wanted:
        return {}
    # Sorted locking order on PostgreSQL: two requests touching the same alerts cannot deadlock.
    query = _BY_FINGERPRINTS_LOCKED if for_update and conn.dialect.name == "postgresql" else _BY_FINGERPRINTS
    rows = (await conn.execute(query, {"fingerprints": wanted})).all()
    return {row.fingerprint: to_alert(row) for row in rows}


# Built once with an expanding parameter: `in_(list)` coerced every fingerprint into a bound parameter
# object on each call, which cost more than running the query on the ingest path.
_BY_FINGERPRINTS = select(alert).where(alert.c.fingerprint.in_(bindparam("fingerprints", expanding=True)))
_BY_FINGERPRINTS_LOCKED = _BY_FINGERPRINTS.order_by(alert.c.fingerprint).with_for_update()


async def get(conn: AsyncConnection, alert_id: int, *, for_update: bool = False) -> Alert | None:
    query = select(alert).where(alert.c.id == alert_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return to_alert(row) if row else None


async def get_many(conn: AsyncConnection, alert_ids: Iterable[int], *, for_update: bool = False) -> list[Alert]:
    """In id order; `for_update` locks them (PostgreSQL) in that order, in one statement."""
    wanted = sorted(set(alert_ids))
    if not wanted:
        return []
    query = _BY_IDS_FOR_UPDATE if for_update and conn.dialect.name == "postgresql" else _BY_IDS
    rows = (await conn.execute(query, {"ids": wanted})).all()
    return [to_alert(row) for row in rows]


_BY_IDS = select(alert).where(alert.c.id.in_(bindparam("ids", expanding=True))).order_by(alert.c.id)
_BY_IDS_FOR_UPDATE = _BY_IDS.with_for_update()


async def save_changes(conn: AsyncConnection, changes: Sequence[AlertChange]) -> list[AlertChange]:
    """Insert new alerts and update known ones in bulk, then append their events; returns the
    changes with database ids filled in."""
    new = [c for c in changes if c.after.id is None]
    known = [c for c in changes if c.after.id is not None]
    ids: dict[str, int] = {}
    if new:
        inserted = await insert_rows(conn, alert, [_row(c.after) for c in new], returning=("id", "fingerprint"))
        ids = {r.fingerprint: r.id for r in inserted}
    if known:
        await _update(conn, known)
    saved = [c if c.after.id is not None else _with_id(c, ids[c.after.fingerprint]) for c in changes]
    await append_events(conn, [(c.after.id or 0, e) for c in saved for e in c.events])
    return saved


async def _update(conn: AsyncConnection, known: Sequence[AlertChange]) -> None:
    """Write only the columns that changed, one statement per set of changed columns.

    A re-sent alert changes three or four columns (last seen, count, ends at); writing all twenty,
    labels and raw payload included, was most of the dedup path's cost. `before` is the row as this
    transaction read it, so the columns left out hold exactly what `before` says."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in known:
        row = _row(change.after)
        columns = _UPDATABLE
        if change.before is not None and change.before.id == change.after.id:
            old = _row(change.before)
            columns = tuple(name for name in _UPDATABLE if row[name] != old[name])
        if columns:
            by_columns.setdefault(columns, []).append({"id": change.after.id, **{k: row[k] for k in columns}})
    for rows in by_columns.values():
        await update_rows(conn, alert, "id", rows)


_UPDATABLE = tuple(c.name for c in alert.columns if c.name not in ("id", "fingerprint"))


def _with_id(change: AlertChange, alert_id: int) -> AlertChange:
    # Built directly rather than with `dataclasses.replace` twice, for every new alert of a bulk insert.
    a = change.after
    after = Alert(
        id=alert_id, fingerprint=a.fingerprint, rule_name=a.rule_name, source=a.source, state=a.state,
        severity=a.severity, value=a.value, peak_value=a.peak_value, labels=a.labels, annotations=a.annotations,
        episode=a.episode, count=a.count, first_seen=a.first_seen, last_seen=a.last_seen,
        state_changed_at=a.state_changed_at, pending_since=a.pending_since, clear_since=a.clear_since,
        ends_at=a.ends_at, acknowledged_by=a.acknowledged_by, acknowledged_at=a.acknowledged_at,
        resolved_at=a.resolved_at, raw=a.raw, flap=a.flap,
    )  # fmt: skip
    return AlertChange(change.before, after, change.events)


async def count_by_state(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(alert.c.state, func.count()).group_by(alert.c.state))
    return {state: n for state, n in rows}


def _row(a: Alert) -> dict[str, Any]:
    # Spelled out rather than `asdict`, which deep-copies every label dict and raw payload on the
    # ingest hot path. Nothing is mutated here.
    return {
        "fingerprint": a.fingerprint,
        "rule_name": a.rule_name,
        "source": a.source,
        "state": a.state.value,
        "severity": a.severity.value,
        "value": a.value,
        "peak_value": a.peak_value,
        "labels": a.labels,
        "annotations": a.annotations,
        "episode": a.episode,
        "count": a.count,
        "first_seen_at": a.first_seen,
        "last_seen_at": a.last_seen,
        "state_changed_at": a.state_changed_at,
        "pending_since": a.pending_since,
        "clear_since": a.clear_since,
        "ends_at": a.ends_at,
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": a.acknowledged_at,
        "resolved_at": a.resolved_at,
        "raw": a.raw,
        "flapping_since": a.flap.since,
        "flap": _flap_json(a.flap),
    }


def _flap_json(flap: FlapState) -> dict[str, Any] | None:
    if flap is NOT_FLAPPING or (not flap.changes and flap.settled_at is None):
        return None
    return {"changes": [utc_text(t) for t in flap.changes], "settled_at": utc_text_or_none(flap.settled_at)}


def _flap(since: datetime | None, data: Any) -> FlapState:
    if since is None and not data:
        return NOT_FLAPPING
    changes = tuple(datetime.fromisoformat(t) for t in (data or {}).get("changes", ()))
    settled = (data or {}).get("settled_at")
    return FlapState(changes, since, datetime.fromisoformat(settled) if settled else None)


def to_alert(row: Row[Any]) -> Alert:
    m = row._mapping
    return Alert(
        id=m["id"],
        fingerprint=m["fingerprint"],
        rule_name=m["rule_name"],
        source=m["source"],
        state=AlertState(m["state"]),
        severity=Severity(m["severity"]),
        value=m["value"],
        peak_value=m["peak_value"],
        labels=m["labels"],
        annotations=m["annotations"],
        episode=m["episode"],
        count=m["count"],
        first_seen=m["first_seen_at"],
        last_seen=m["last_seen_at"],
        state_changed_at=m["state_changed_at"],
        pending_since=m["pending_since"],
        clear_since=m["clear_since"],
        ends_at=m["ends_at"],
        acknowledged_by=m["acknowledged_by"],
        acknowledged_at=m["acknowledged_at"],
        resolved_at=m["resolved_at"],
        raw=m["raw"],
        flap=_flap(m.get("flapping_since"), m.get("flap")),
    )


async def flapping(conn: AsyncConnection, *, limit: int = 500) -> list[Alert]:
    """The alerts in a flapping spell (the sweeper ends each once it has held its state long enough)."""
    query = select(alert).where(alert.c.flapping_since.is_not(None)).order_by(alert.c.flapping_since).limit(limit)
    return [to_alert(row) for row in (await conn.execute(query)).all()]


async def expired(conn: AsyncConnection, now: datetime, *, limit: int = 500) -> list[Alert]:
    """Open alerts whose sender promised a re-send by `ends_at` and did not send one."""
    query = (
        select(alert)
        .where(alert.c.ends_at.is_not(None), alert.c.ends_at <= now, alert.c.state != AlertState.RESOLVED.value)
        .order_by(alert.c.ends_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [to_alert(row) for row in (await conn.execute(query)).all()]


async def pending_unseen_since(conn: AsyncConnection, before: datetime, *, limit: int = 500) -> list[Alert]:
    """Pending alerts last seen at or before `before`, the longest unseen first."""
    query = (
        select(alert)
        .where(alert.c.state == AlertState.PENDING.value, alert.c.last_seen_at <= before)
        .order_by(alert.c.last_seen_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [to_alert(row) for row in (await conn.execute(query)).all()]
