"""The outbox's payload column holds exactly what `NotificationPayload.to_json()` says, and reads back."""

from __future__ import annotations

import orjson

from alerthub.domain.notification import AlertSnapshot, NotificationPayload
from alerthub.store.outbox import payload_json

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
