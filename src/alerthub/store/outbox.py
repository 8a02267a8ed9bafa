"""The notification outbox. The pipeline's enqueue side lives here: rows are written in the transaction
of the state change that caused them, before any send is attempted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, String, bindparam, func, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.by_identity import ByIdentity
from alerthub.domain.notification import AlertSnapshot, Notification, NotificationPayload, NotificationStatus
from alerthub.store.bulk import insert_rows
from alerthub.store.tables import notification, notification_alert

PAGE = "page"  # the kind of an escalation step's message to people
DIGEST = "digest"  # the kind of a message standing for the rows a channel's rate limit held back
MUTE_SUMMARY = "mute_summary"  # the kind of a message about what a mute held back, sent when it ends


@dataclass(frozen=True, slots=True)
class NewNotification:
    idempotency_key: str
    group_key: str
    receiver: str
    channel: str
    kind: str
    status: NotificationStatus
    payload: NotificationPayload
    created_at: datetime
    next_attempt_at: datetime
    thread_key: str
    alert_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Claim:
    """A row written already claimed: `worker` sends it after the commit, under a lease until `until`."""

    worker: str
    until: datetime


def _links(dialect: str) -> Any:
    """Every link of one `enqueue` call in one statement, in alert id order: on PostgreSQL two arrays of
    the same length (notification ids, alert ids), on SQLite one JSON array of pairs. A grown group's
    message links a hundred alerts, and the hundred groups of a storm link every alert again each second:
    inserted in alert id order, neighbouring links land in the same pages of the alert id index instead
    of one random page each (bench/NOTES.md)."""
    if dialect == "postgresql":
        arrays = [sql_cast(bindparam(name), postgresql.ARRAY(BigInteger)) for name in ("b_nids", "b_aids")]
        pairs = func.unnest(*arrays).table_valued("nid", "aid").render_derived()
        return insert(notification_alert).from_select(["notification_id", "alert_id"], select(pairs.c.nid, pairs.c.aid))
    each = func.json_each(bindparam("b_pairs", type_=String)).table_valued("value")
    nid, aid = (sql_cast(func.json_extract(each.c.value, f"$[{i}]"), BigInteger) for i in (0, 1))
    return insert(notification_alert).from_select(["notification_id", "alert_id"], select(nid, aid))


_LINKS = {name: _links(name) for name in ("postgresql", "sqlite")}


# The dicts of the snapshots a dispatcher's messages carry, by snapshot (domain/by_identity.py).
SnapshotDicts = ByIdentity[AlertSnapshot, dict[str, Any]]


async def enqueue(
    conn: AsyncConnection,
    rows: Sequence[NewNotification],
    claims: Mapping[str, Claim] | None = None,
    dicts: SnapshotDicts | None = None,
) -> list[int]:
    """Insert the rows and their alert links in two statements; returns the new ids in order. A row due
    now for a channel in `claims` is written as that claim's, `sending` (see `claimed`). `dicts`: the
    caller's snapshot dicts kept between calls (a dispatcher's growing groups), if it keeps any."""
    if not rows:
        return []
    # One payload often serves several rows (every channel of a group): serialise it once.
    payloads = {id(r.payload): payload_json(r.payload, dicts) for r in rows}
    values = [_values(r, payloads[id(r.payload)], _claim_of(r, claims)) for r in rows]
    inserted = await insert_rows(conn, notification, values, returning=("id", "idempotency_key"))
    # Matched back by the unique key, not by order (the database does not promise RETURNING's order).
    by_key = {row.idempotency_key: row.id for row in inserted}
    ids = [by_key[r.idempotency_key] for r in rows]
    links = sorted((aid, nid) for nid, r in zip(ids, rows, strict=True) for aid in set(r.alert_ids))
    if not links:
        return ids
    if conn.dialect.name == "postgresql":
        params: dict[str, Any] = {"b_nids": [n for _, n in links], "b_aids": [a for a, _ in links]}
        await conn.execute(_LINKS["postgresql"], params)
    else:
        await conn.execute(_LINKS["sqlite"], {"b_pairs": orjson.dumps([(n, a) for a, n in links]).decode()})
    return ids


def _values(r: NewNotification, payload: dict[str, Any], claim: Claim | None) -> dict[str, Any]:
    return {
        "idempotency_key": r.idempotency_key,
        "group_key": r.group_key,
        "receiver": r.receiver,
        "channel": r.channel,
        "kind": r.kind,
        "status": (NotificationStatus.SENDING if claim else r.status).value,
        "payload": payload,
        "attempts": 1 if claim else 0,
        "created_at": r.created_at,
        "next_attempt_at": r.next_attempt_at,
        "thread_key": r.thread_key,
        "claimed_by": claim.worker if claim else None,
        "claimed_until": claim.until if claim else None,
    }


def _claim_of(r: NewNotification, claims: Mapping[str, Claim] | None) -> Claim | None:
    if not claims or r.status is not NotificationStatus.PENDING or r.next_attempt_at > r.created_at:
        return None
    return claims.get(r.channel)


def claimed(
    rows: Sequence[NewNotification],
    ids: Sequence[int],
    claims: Mapping[str, Claim],
    dicts: SnapshotDicts | None = None,
) -> list[Notification]:
    """The rows `enqueue` wrote under a claim, as a claim would have read them back, with the payload
    objects themselves (`decoded`): the stored JSON decodes to the same (tests/store/test_outbox.py)."""
    out = []
    for row_id, r in zip(ids, rows, strict=True):
        claim = _claim_of(r, claims)
        if claim is None:
            continue
        out.append(
            Notification(
                id=row_id,
                idempotency_key=r.idempotency_key,
                group_key=r.group_key,
                receiver=r.receiver,
                channel=r.channel,
                kind=r.kind,
                status=NotificationStatus.SENDING,
                payload=payload_json(r.payload, dicts),
                attempts=1,
                created_at=r.created_at,
                next_attempt_at=r.next_attempt_at,
                alert_ids=tuple(sorted(set(r.alert_ids))),
                claimed_by=claim.worker,
                claimed_until=claim.until,
                thread_key=r.thread_key,
                decoded=r.payload,
            )
        )
    return out


_PAYLOAD_FIELDS = tuple(f.name for f in fields(NotificationPayload))
_SNAPSHOT_FIELDS = tuple(f.name for f in fields(AlertSnapshot))


def payload_json(payload: NotificationPayload, dicts: SnapshotDicts | None = None) -> dict[str, Any]:
    """`payload.to_json()` without `dataclasses.asdict`'s deep copy, on every message a flush writes: the
    dict shares the frozen payload's dicts (and its tuples and notes stay as they are), so it is only
    ever read: serialised, or kept beside the payload it came from (`claimed`). With `dicts`, each
    snapshot is turned into a dict once."""
    if dicts is None:
        alerts = [_snapshot_dict(a) for a in payload.alerts]
    else:
        alerts = [dicts.get(a, _snapshot_dict) for a in payload.alerts]
    return {name: alerts if name == "alerts" else getattr(payload, name) for name in _PAYLOAD_FIELDS}


def _snapshot_dict(a: AlertSnapshot) -> dict[str, Any]:
    return {name: getattr(a, name) for name in _SNAPSHOT_FIELDS}


@dataclass(frozen=True, slots=True, order=True)
class NotifiedChannel:
    alert_id: int
    group_key: str
    receiver: str
    channel: str


async def notified_channels(conn: AsyncConnection, alert_ids: Iterable[int]) -> list[NotifiedChannel]:
    """The (group, channel) pairs that were told about these alerts: not suppressed, not failed. Pages are
    left out: they are messages to people, not a conversation an acknowledgement notice belongs in."""
    wanted = sorted(set(alert_ids))
    if not wanted:
        return []
    query = (
        select(notification_alert.c.alert_id, notification.c.group_key, notification.c.receiver, notification.c.channel)
        .join(notification, notification.c.id == notification_alert.c.notification_id)
        .where(notification_alert.c.alert_id.in_(wanted))
        .where(notification.c.status.not_in([NotificationStatus.SUPPRESSED.value, NotificationStatus.FAILED.value]))
        .where(notification.c.kind != PAGE)
        .distinct()
    )
    rows = (await conn.execute(query)).all()
    return sorted(NotifiedChannel(r.alert_id, r.group_key, r.receiver, r.channel) for r in rows)
