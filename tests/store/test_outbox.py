"""The outbox's payload column holds exactly what `NotificationPayload.to_json()` says, and reads back; a
notification is linked to every alert it carries, once."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from alerthub.domain.notification import AlertSnapshot, NotificationPayload, NotificationStatus
from alerthub.domain.signal import Signal
from alerthub.hub import Hub
from alerthub.store import outbox
from alerthub.store.outbox import NewNotification, payload_json
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


def test_the_fast_payload_json_is_the_contracts_json() -> None:
    assert orjson.dumps(payload_json(PAYLOAD)) == orjson.dumps(PAYLOAD.to_json())
    assert NotificationPayload.from_json(orjson.loads(orjson.dumps(payload_json(PAYLOAD)))) == PAYLOAD


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
