"""The outbox's payload column holds exactly what `NotificationPayload.to_json()` says, and reads back; a
notification is linked to every alert it carries, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import select

from alerthub.delivery.sending import payload_of
from alerthub.domain.by_identity import ByIdentity
from alerthub.domain.notification import (
    AlertSnapshot,
    HandoffNote,
    NoiseReport,
    NotificationPayload,
    NotificationStatus,
)
from alerthub.domain.signal import Signal
from alerthub.hub import Hub
from alerthub.store import deliveries, outbox
from alerthub.store.outbox import NewNotification, SnapshotDicts, payload_json
from alerthub.store.tables import notification_alert
from support.clock import FakeClock

SNAPSHOT = AlertSnapshot(
    id=7,
    fingerprint="f",
    rule_name="api_down",
    state="firing",
    severity="critical",
    value=None,
    labels={"service": "api"},
    annotations={"summary": "<b>down</b>"},
    source="test",
    first_seen="2026-11-27T10:00:00Z",
    last_seen="2026-11-27T10:00:00Z",
    count=3,
    threshold=1.5,
    url="http://hub/alerts/7",
)
PAYLOAD = NotificationPayload(
    receiver="ops",
    group_key='{}:{service="api"}',
    status="firing",
    reason="first notification",
    group_labels={"service": "api"},
    common_labels={"service": "api"},
    common_annotations={},
    alerts=(SNAPSHOT, SNAPSHOT),
    external_url="http://hub",
)


@pytest.mark.parametrize("kept", [False, True], ids=["alone", "with kept snapshot dicts"])
def test_the_fast_payload_json_is_the_contracts_json(kept: bool) -> None:
    dicts: SnapshotDicts | None = ByIdentity(10) if kept else None
    for _ in range(2):  # the second time from the kept dicts
        assert orjson.dumps(payload_json(PAYLOAD, dicts)) == orjson.dumps(PAYLOAD.to_json())
        assert NotificationPayload.from_json(orjson.loads(orjson.dumps(payload_json(PAYLOAD, dicts)))) == PAYLOAD
    if dicts is not None:
        assert len(dicts) == 1  # one snapshot, listed twice: one dict


async def test_a_notification_links_every_alert_it_carries_once(hub: Hub, clock: FakeClock) -> None:
    signals = [Signal("system_memory_high", "t", value=97, labels={"n": str(i)}) for i in range(120)]
    ids = [r.alert_id for r in await hub.ingest.ingest(signals) if r.alert_id is not None]
    carried = [tuple(ids) + tuple(ids[:5]), (), (ids[0],)]  # a repeated id is linked once
    rows = [
        NewNotification(
            f"k{n}", "g", "ops", "hook", "firing", NotificationStatus.PENDING, PAYLOAD, clock(), clock(), "t", c
        )
        for n, c in enumerate(carried)
    ]
    async with hub.db.write() as conn:
        made = await outbox.enqueue(conn, rows)
    async with hub.db.read() as conn:
        links = (await conn.execute(select(notification_alert.c.notification_id, notification_alert.c.alert_id))).all()
    by_row = {nid: sorted(a for n, a in links if n == nid) for nid in made}
    assert by_row == {made[0]: sorted(ids), made[1]: [], made[2]: [ids[0]]}


RICH = replace(
    PAYLOAD,
    alerts=(
        replace(SNAPSHOT, value=0.1 + 0.2, also_affected=("db — eu", "cache — eu"), flapping="5 changes in 10m"),
        replace(SNAPSHOT, id=8, value=-3e-9, acknowledged_by="kim", acknowledged_comment="on it 👀"),
    ),
    paged=("kim", "lee"),
    page_note="step 2 of 3",
    fallback_from="discord",
    noise_report=NoiseReport(
        since="2026-11-20T00:00:00Z",
        until="2026-11-27T00:00:00Z",
        rules=(("api_down", 12, 3),),
        assets=(("web-1", 7),),
        messages=40,
        out_of_hours=9,
        clock="Asia/Seoul",
        episodes=12,
        mtta_seconds=61.5,
        mttr_seconds=None,
        flapping=("api_down — web-1",),
    ),
    handoff=HandoffNote("primary", "kim", "2026-11-27T00:00:00Z", None, "Asia/Seoul", ("lee",), "2026-11-28T00:00Z"),
    news=(8,),
)


async def test_a_row_written_claimed_carries_what_the_claim_path_would_read_back(hub: Hub, clock: FakeClock) -> None:
    """The express path sends the payload object it wrote instead of decoding the stored JSON: both must
    be one payload, or a message would differ by the path that sent it."""
    rows = [
        NewNotification(f"x{n}", "g", "ops", "hook", "firing", NotificationStatus.PENDING, p, clock(), clock(), "t", ())
        for n, p in enumerate((PAYLOAD, RICH))
    ]
    claims = {"hook": outbox.Claim("me", clock() + timedelta(minutes=1))}
    async with hub.db.write() as conn:
        ids = await outbox.enqueue(conn, rows, claims)
    express = outbox.claimed(rows, ids, claims)
    async with hub.db.read() as conn:
        stored = [await deliveries.get(conn, i) for i in ids]
    assert [r.decoded for r in express] == [PAYLOAD, RICH]
    for sent, read in zip(express, stored, strict=True):
        assert read is not None and read.decoded is None
        assert payload_of(read) == payload_of(sent) == sent.decoded
        assert (read.id, read.status, read.claimed_by, read.idempotency_key) == (
            sent.id,
            sent.status,
            sent.claimed_by,
            sent.idempotency_key,
        )
