"""Every datetime taken from outside is held to the range Python can convert to UTC: a time near year 1
or 9999 with an offset is a 422 naming the field, never an overflow (500), and nothing is stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from alerthub.store import alerts as alert_store
from support.clock import FakeClock
from support.webhooks import HETRIX_TOKEN

# Each parses as a valid offset datetime, but its UTC instant is before year 1 or after year 9999.
TOO_EARLY = "0001-01-01T00:00:00+05:00"
TOO_LATE = "9999-12-31T23:00:00-05:00"
RANGE_MESSAGE = "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z"

SILENCE: dict[str, Any] = {
    "matchers": [{"name": "service", "value": "api", "isRegex": False, "isEqual": True}],
    "startsAt": "2026-11-27T09:00:00Z",
    "endsAt": "2026-11-27T11:00:00Z",
    "createdBy": "ops",
    "comment": "deploy",
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate({"integrations": {"hetrixtools": {"webhook_token": HETRIX_TOKEN}}})


def _postable(name: str = "Edge", **times: str) -> list[dict[str, Any]]:
    return [{"labels": {"alertname": name, "instance": "web-1"}, **times}]


def _pagerduty(timestamp: str) -> dict[str, Any]:
    payload = {"summary": "disk full", "source": "db-1", "severity": "critical", "timestamp": timestamp}
    return {"routing_key": "k", "event_action": "trigger", "payload": payload}


# (path, body, the location the answer must name); each is tried with both out-of-range times.
BODIES: list[tuple[str, Any, str]] = [
    ("/api/v2/alerts", lambda t: _postable(startsAt=t), "body[0].startsAt"),
    ("/api/v2/alerts", lambda t: _postable(endsAt=t), "body[0].endsAt"),
    ("/webhooks/alertmanager", lambda t: {"alerts": _postable(startsAt=t)}, "body.alerts[0].startsAt"),
    ("/webhooks/alertmanager", lambda t: {"alerts": _postable(endsAt=t)}, "body.alerts[0].endsAt"),
    ("/api/silences", lambda t: {**SILENCE, "startsAt": t}, "body.startsAt"),
    ("/api/silences", lambda t: {**SILENCE, "endsAt": t}, "body.endsAt"),
    ("/api/v2/silences", lambda t: {**SILENCE, "endsAt": t}, "body.endsAt"),
]


async def _nothing_stored(client: httpx.AsyncClient, hub: Hub) -> None:
    async with hub.db.read() as conn:
        assert await alert_store.count_by_state(conn) == {}
    assert (await client.get("/api/silences")).json()["silences"] == []


@pytest.mark.parametrize("moment", [TOO_EARLY, TOO_LATE])
@pytest.mark.parametrize(("path", "make", "where"), BODIES, ids=[f"{p} {w}" for p, _, w in BODIES])
async def test_a_body_time_out_of_range_is_422_naming_the_field(
    client: httpx.AsyncClient, hub: Hub, path: str, make: Any, where: str, moment: str
) -> None:
    answer = await client.post(path, json=make(moment))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["detail"].startswith(f"invalid request: {where}: ") and RANGE_MESSAGE in body["detail"]
    assert [e["loc"] for e in body["errors"]] == [where]
    await _nothing_stored(client, hub)


@pytest.mark.parametrize("moment", [TOO_EARLY, TOO_LATE])
async def test_a_pagerduty_timestamp_out_of_range_is_refused_in_pagerdutys_shape(
    client: httpx.AsyncClient, hub: Hub, moment: str
) -> None:
    answer = await client.post("/v2/enqueue", json=_pagerduty(moment))
    assert answer.status_code == 400, answer.text  # PagerDuty answers an invalid event 400, so do we
    assert answer.json()["status"] == "invalid event"
    [problem] = answer.json()["errors"]
    assert problem.startswith("body.payload.timestamp: ") and RANGE_MESSAGE in problem
    await _nothing_stored(client, hub)


@pytest.mark.parametrize("moment", [TOO_EARLY, TOO_LATE])
async def test_since_out_of_range_is_422_naming_the_parameter(client: httpx.AsyncClient, moment: str) -> None:
    answer = await client.get("/api/alerts", params={"since": moment})
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == ["query.since"]
    assert RANGE_MESSAGE in answer.json()["detail"]


@pytest.mark.parametrize("seconds", [2**62, 253402300800, -62135596801])
async def test_a_hetrixtools_timestamp_out_of_range_is_422(client: httpx.AsyncClient, hub: Hub, seconds: int) -> None:
    body = {"monitor_id": "m-1", "monitor_name": "Site", "monitor_status": "offline", "timestamp": seconds}
    answer = await client.post("/webhooks/hetrixtools", json=body, headers={"Authorization": f"Bearer {HETRIX_TOKEN}"})
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == ["body.timestamp"]
    await _nothing_stored(client, hub)


async def test_the_edges_themselves_are_accepted(client: httpx.AsyncClient, clock: FakeClock) -> None:
    """The range is exactly what converts: Alertmanager's zero time (its "no end") and the last second
    of 9999 in UTC still pass, wherever a time is taken."""
    zero, last = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+00:00"
    assert (await client.post("/api/v2/alerts", json=_postable("Posted", endsAt=zero))).status_code == 200
    hooked = {"alerts": _postable("Hooked", endsAt=zero)}
    assert (await client.post("/webhooks/alertmanager", json=hooked)).status_code == 200
    assert (await client.post("/v2/enqueue", json=_pagerduty(last))).status_code == 202
    listed = await client.get("/api/alerts", params={"since": zero})
    assert listed.status_code == 200
    assert sorted(a["rule_name"] for a in listed.json()["alerts"]) == ["Hooked", "Posted", "pagerduty"]
    assert (await client.get("/api/alerts", params={"since": last})).json()["alerts"] == []
    saved = await client.post("/api/silences", json={**SILENCE, "startsAt": zero, "endsAt": last})
    assert saved.status_code == 200, saved.text
    assert saved.json()["silence"]["endsAt"] == "9999-12-31T23:59:59Z"
