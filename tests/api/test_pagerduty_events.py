"""PagerDuty's Events API v2 over HTTP on an open hub: routing keys mapped to labels route alerts, links and
images reach the alert, change events land on the timeline of the open alerts they concern, and every
refusal is PagerDuty's answer (400 "invalid event" where PagerDuty says 400)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from alerthub.api.app import create_app
from alerthub.config.models import Config
from alerthub.hub import Hub
from support.clock import FakeClock

PAYMENTS_KEY = "payments0123456789abcdef01234567"
SETTINGS: dict[str, Any] = {
    "integrations": {
        "pagerduty": {"routing_keys": [{"key": PAYMENTS_KEY, "labels": {"service": "payments", "team": "billing"}}]}
    },
    "channels": [
        {"name": "payments-hook", "type": "webhook", "url": "http://127.0.0.1:9/payments"},
        {"name": "ops-hook", "type": "webhook", "url": "http://127.0.0.1:9/ops"},
    ],
    "receivers": [
        {"name": "payments", "channels": ["payments-hook"]},
        {"name": "ops", "channels": ["ops-hook"]},
    ],
    "route": {"receiver": "ops", "routes": [{"match": {"service": "payments"}, "receiver": "payments"}]},
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(SETTINGS)


def trigger(key: str, dedup_key: str, source: str = "db1", **extra: Any) -> dict[str, Any]:
    payload = {"summary": f"{dedup_key} is down", "source": source, "severity": "critical"}
    return {"routing_key": key, "event_action": "trigger", "dedup_key": dedup_key, "payload": payload, **extra}


async def enqueue(client: httpx.AsyncClient, body: Any) -> int:
    answer = await client.post("/v2/enqueue", json=body)
    assert answer.status_code == 202, answer.text
    [found] = (await client.get("/api/alerts", params={"label": f"dedup_key:{body['dedup_key']}"})).json()["alerts"]
    alert_id: int = found["id"]
    return alert_id


async def receivers(client: httpx.AsyncClient, alert_id: int) -> list[str]:
    trace = (await client.get(f"/api/alerts/{alert_id}/trace")).json()["trace"]
    return [e["detail"]["receiver"] for e in trace if e["kind"] == "decision" and "receiver" in e["detail"]]


async def test_a_routing_keys_labels_route_its_alerts_to_their_receiver(client: httpx.AsyncClient) -> None:
    mapped = await enqueue(client, trigger(PAYMENTS_KEY, "card-api"))
    other = await enqueue(client, trigger("any-other-key", "disk-db1"))
    alert = (await client.get(f"/api/alerts/{mapped}")).json()
    assert alert["labels"] == {"dedup_key": "card-api", "source": "db1", "service": "payments", "team": "billing"}
    assert await receivers(client, mapped) == ["payments"]
    assert await receivers(client, other) == ["ops"]
    assert "service" not in (await client.get(f"/api/alerts/{other}")).json()["labels"]


async def test_links_and_images_are_shown_with_the_alert_and_the_key_is_not(client: httpx.AsyncClient) -> None:
    links = [{"href": "https://grafana.test/d/1", "text": "Dashboard"}, {"href": "https://runbook.test/db"}]
    images = [{"src": "https://grafana.test/render/1.png", "alt": "disk"}]
    alert_id = await enqueue(client, trigger(PAYMENTS_KEY, "card-api", links=links, images=images))
    alert = (await client.get(f"/api/alerts/{alert_id}")).json()
    assert alert["annotations"]["url"] == "https://grafana.test/d/1"
    assert orjson.loads(alert["annotations"]["links"]) == links
    assert orjson.loads(alert["annotations"]["images"]) == images
    assert alert["raw"]["links"] == links and alert["raw"]["routing_key"] == "<secret>"
    page = await client.get(f"/alerts/{alert_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and PAYMENTS_KEY not in page.text


async def test_a_change_lands_on_the_open_alerts_of_its_service(client: httpx.AsyncClient, clock: FakeClock) -> None:
    payments = await enqueue(client, trigger(PAYMENTS_KEY, "card-api"))
    checkout = await enqueue(client, trigger("k2", "checkout-5xx", source="web1"))
    await client.post("/api/alerts/send", json={"rule_name": "system_memory_high", "metric_data": {"metric_value": 97}})
    closed = await enqueue(client, trigger(PAYMENTS_KEY, "old-incident"))
    resolve = {"routing_key": PAYMENTS_KEY, "event_action": "resolve", "dedup_key": "old-incident"}
    assert (await client.post("/v2/enqueue", json=resolve)).status_code == 202
    clock.advance(60)
    change = {
        "routing_key": PAYMENTS_KEY,
        "payload": {
            "summary": "Deployed payments v42",
            "source": "ci",
            "timestamp": "2026-03-01T10:00:00Z",
            "custom_details": {"build": 42},
        },
        "links": [{"href": "https://ci.test/42", "text": "Build 42"}],
    }
    answer = await client.post("/v2/change/enqueue", json=change)
    assert (answer.status_code, answer.json()) == (202, {"status": "success", "message": "Change event processed"})
    [shown] = await changes_of(client, payments)
    assert shown["reason"] == "Deployed payments v42" and shown["actor"] == "signal:pagerduty-change"
    assert shown["at"] == clock().isoformat().replace("+00:00", "Z")
    assert shown["detail"] == {
        "source": "ci",
        "custom_details": {"build": 42},
        "timestamp": "2026-03-01T10:00:00+00:00",
        "links": [{"href": "https://ci.test/42", "text": "Build 42"}],
    }
    assert await changes_of(client, checkout) == [] and await changes_of(client, closed) == []


async def test_a_change_names_a_service_by_its_source(client: httpx.AsyncClient, hub: Hub) -> None:
    labelled = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 97}, "labels": {"service": "web"}}
    assert (await client.post("/api/alerts/send", json=labelled)).status_code == 202
    [alert] = (await client.get("/api/alerts")).json()["alerts"]
    change = {"routing_key": "unlisted", "payload": {"summary": "nginx reloaded", "source": "web"}}
    assert (await client.post("/v2/change/enqueue", json=change)).status_code == 202
    assert [e["reason"] for e in await changes_of(client, alert["id"])] == ["nginx reloaded"]
    nobody = {"routing_key": "unlisted", "payload": {"summary": "a change nobody's alert names"}}
    assert (await client.post("/v2/change/enqueue", json=nobody)).status_code == 202
    assert len(await changes_of(client, alert["id"])) == 1


async def changes_of(client: httpx.AsyncClient, alert_id: int) -> list[dict[str, Any]]:
    history = (await client.get(f"/api/alerts/{alert_id}")).json()["history"]
    return [e for e in history if e["kind"] == "change"]


@pytest.mark.parametrize("path", ["/v2/enqueue", "/v2/change/enqueue"])
@pytest.mark.parametrize(
    "body",
    [
        {"routing_key": PAYMENTS_KEY, "event_action": "trigger"},
        {"routing_key": PAYMENTS_KEY, "payload": {"source": "no summary"}},
        {"event_action": "resolve", "dedup_key": "x", "payload": {"summary": "s"}},
        ["a", "list"],
    ],
)
async def test_an_invalid_event_gets_pagerdutys_400(client: httpx.AsyncClient, hub: Hub, path: str, body: Any) -> None:
    answer = await client.post(path, json=body)
    assert answer.status_code == 400, answer.text
    found = answer.json()
    assert (found["status"], found["message"]) == ("invalid event", "Event object is invalid")
    assert found["errors"] and all(isinstance(e, str) and e.startswith("body") for e in found["errors"])
    assert (await client.get("/api/alerts")).json()["alerts"] == []


async def test_labels_over_the_limit_are_a_400_too(client: httpx.AsyncClient) -> None:
    body = trigger("k", "d", payload={"summary": "s", "source": "x" * 1025, "severity": "info"})
    answer = await client.post("/v2/enqueue", json=body)
    assert (answer.status_code, answer.json()["status"]) == (400, "invalid event")


@pytest.mark.parametrize("path", ["/v2/enqueue", "/v2/change/enqueue"])
async def test_bad_json_and_oversize_keep_their_status_in_pagerdutys_shape(
    client: httpx.AsyncClient, path: str
) -> None:
    bad = await client.post(path, content=b'{"routing_key": ', headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["status"] == "invalid event"
    assert "malformed JSON" in bad.json()["message"]
    big = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    over = await client.post(path, content=big, headers={"content-type": "application/json"})
    assert over.status_code == 413 and over.json()["status"] == "invalid event"


@pytest.fixture
async def route_only(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(hub, migrate=False, run_background=False, fast_ingest=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        yield http


async def test_the_change_endpoint_answers_alike_with_and_without_the_ingest_lane(
    client: httpx.AsyncClient, route_only: httpx.AsyncClient
) -> None:
    good = {"routing_key": PAYMENTS_KEY, "payload": {"summary": "deploy", "source": "ci"}}
    bad = {"routing_key": PAYMENTS_KEY, "payload": {"summary": ""}}
    lane, routed = [await http.post("/v2/change/enqueue", json=good) for http in (client, route_only)]
    assert (lane.status_code, lane.json()) == (routed.status_code, routed.json()) == (202, lane.json())
    lane_bad, routed_bad = [await http.post("/v2/change/enqueue", json=bad) for http in (client, route_only)]
    assert (lane_bad.status_code, lane_bad.json()) == (routed_bad.status_code, routed_bad.json())
    assert lane_bad.status_code == 400
    metrics = (await client.get("/metrics")).text
    assert 'alerthub_request_duration_seconds_count{method="POST",route="/v2/change/enqueue"} 4.0' in metrics
