"""Reading alerts for people: filters and keyset pagination that stays fast at 100,000 rows."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Text, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import Alert
from alerthub.errors import InputError, Problem
from alerthub.store.alerts import to_alert
from alerthub.store.escalations import paged_to
from alerthub.store.tables import alert

MAX_ID = 2**63 - 1  # row ids are 64-bit signed in both databases


@dataclass(frozen=True)
class AlertFilter:
    """What a person narrows alerts by; every field left empty matches everything.
    `text` is a case-insensitive search over the rule name, labels and annotations."""

    states: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    since: datetime | None = None
    text: str = ""
    paged_to: str = ""  # a person an escalation has paged about the alert
    flapping: bool | None = None  # in a flapping spell, or not; None: either


def filtered(query: Select[Any], flt: AlertFilter) -> Select[Any]:
    for column, values in (
        (alert.c.state, flt.states),
        (alert.c.severity, flt.severities),
        (alert.c.rule_name, flt.rules),
        (alert.c.source, flt.sources),
    ):
        if values:
            query = query.where(column.in_(values))
    for name, value in flt.labels:
        query = query.where(alert.c.labels[name].as_string() == value)
    if flt.since is not None:
        query = query.where(alert.c.last_seen_at >= flt.since)
    if flt.flapping is not None:
        spell = alert.c.flapping_since
        query = query.where(spell.is_not(None) if flt.flapping else spell.is_(None))
    if flt.paged_to:
        query = query.where(alert.c.id.in_(paged_to(flt.paged_to)))
    if flt.text:
        needle = flt.text.lower()
        searched = (alert.c.rule_name, cast(alert.c.labels, Text), cast(alert.c.annotations, Text))
        query = query.where(or_(*(func.lower(col).contains(needle, autoescape=True) for col in searched)))
    return query


async def list_alerts(
    conn: AsyncConnection, flt: AlertFilter, *, limit: int, cursor: str | None
) -> tuple[list[Alert], str | None]:
    """Newest activity first; the cursor is the (last_seen_at, id) of the last row returned."""
    query = filtered(select(alert), flt)
    if cursor:
        seen, last_id = decode_cursor(cursor)
        query = query.where(or_(alert.c.last_seen_at < seen, and_(alert.c.last_seen_at == seen, alert.c.id < last_id)))
    query = query.order_by(alert.c.last_seen_at.desc(), alert.c.id.desc()).limit(limit + 1)
    rows = (await conn.execute(query)).all()
    alerts = [to_alert(r) for r in rows[:limit]]
    more = len(rows) > limit
    next_cursor = encode_cursor(alerts[-1].last_seen, alerts[-1].id or 0) if more and alerts else None
    return alerts, next_cursor


def encode_cursor(seen: datetime, alert_id: int) -> str:
    return base64.urlsafe_b64encode(f"{seen.isoformat()}|{alert_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Only a cursor `encode_cursor` could have made: a UTC time and a 64-bit id, spelled as it spells
    them. Anything else (a naive time, an id past the column's range) would fail in the query (a 500)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        seen_text, id_text = base64.urlsafe_b64decode(padded).decode().split("|")
        seen = datetime.fromisoformat(seen_text)
        alert_id = int(id_text)
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor("not a cursor this API gave out") from None
    if seen.utcoffset() != timedelta(0):
        raise _bad_cursor("its time is not in UTC")
    if not 0 <= alert_id <= MAX_ID:
        raise _bad_cursor("its id is out of range")
    if encode_cursor(seen, alert_id) != cursor.rstrip("="):
        raise _bad_cursor("not a cursor this API gave out")
    return seen, alert_id


def _bad_cursor(why: str) -> InputError:
    return InputError(f"invalid cursor: {why}", [Problem("query.cursor", "not a cursor this API gave out")], 400)
