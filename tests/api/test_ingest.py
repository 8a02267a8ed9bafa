"""The three ingest endpoints over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from alerthub.hub import Hub
from support.clock import FakeClock
from support.counting import counting
from support.seed import seed_payloads

PAYLOADS = seed_payloads()

EXPECTED = {
    # file stem: (state, severity, labels)
    "sentry_webhook_error_rate": ("firing", "critical", {"project": "shop-frontend"}),
    "sentry_poll_error_rate": ("firing", "high", {}),
    "sentry_performance_issue": ("firing", "warning", {}),
    "hetrixtools_uptime": (
        "firing",
        "high",
        {
            "service": "Shop API",
            "monitor_id": "3f9c2a7e5b1d4c8e9a0b6d2f4e8c1a7b",
            "url": "https://api.example.com/health",
        },
    ),
    "hetrixtools_response_time": (
        "firing",
        "warning",
        {
            "service": "Shop API",
            "monitor_id": "3f9c2a7e5b1d4c8e9a0b6d2f4e8c1a7b",
            "url": "https://api.example.com/health",
        },
    ),
    "hetrixtools_downtime": ("firing", "critical", {"service": "Shop API", "url": "https://api.example.com/health"}),
    # The seed's system monitor names no host: the address it sends from does (the test client's).
    "system_cpu_high": ("pending", "high", {"host": "127.0.0.1"}),
    "system_memory_high": ("firing", "high", {"host": "127.0.0.1"}),
    "system_disk_high": ("firing", "high", {"host": "127.0.0.1"}),
    "system_network_error": ("firing", "warning", {"host": "127.0.0.1"}),
}


async def alerts(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/alerts", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["alerts"]
    return found


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_seed_payload_shows_up_with_severity_and_labels(client: httpx.AsyncClient, name: str) -> None:
    state, severity, labels = EXPECTED[name]
    answer = await client.post("/api/alerts/send", json=PAYLOADS[name])
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert (body["state"], body["severity"]) == (state, severity)
    [alert] = await alerts(client)
    assert alert["id"] == body["alert_id"] and alert["fingerprint"] == body["fingerprint"]
    assert (alert["state"], alert["severity"], alert["labels"]) == (state, severity, labels)
    assert alert["annotations"]["summary"] == PAYLOADS[name]["metric_data"]["additional_info"]


async def test_recovery_resolves_the_downtime_of_the_same_service_only(client: httpx.AsyncClient) -> None:
    down = PAYLOADS["hetrixtools_downtime"]
    other = {**down, "metric_data": {**down["metric_data"], "hetrixtools_data": {"service_name": "Blog", "url": "b"}}}
    first = (await client.post("/api/alerts/send", json=down)).json()
    await client.post("/api/alerts/send", json=other)
    recovered = (await client.post("/api/alerts/send", json=PAYLOADS["hetrixtools_recovery"])).json()
    assert recovered["state"] == "ok" and recovered["alert_id"] == first["alert_id"]
    states = {a["labels"]["service"]: a["state"] for a in await alerts(client)}
    assert states == {"Shop API": "resolved", "Blog": "firing"}
    history = (await client.get(f"/api/alerts/{first['alert_id']}")).json()["history"]
    assert history[-1]["actor"] == "rule:hetrixtools_recovery"


async def test_two_services_down_are_two_alerts(client: httpx.AsyncClient) -> None:
    body = PAYLOADS["hetrixtools_uptime"]
    for service in ("api", "web"):
        data = {**body["metric_data"]["hetrixtools_data"], "service_name": service, "monitor_id": service}
        await client.post(
            "/api/alerts/send", json={**body, "metric_data": {**body["metric_data"], "hetrixtools_data": data}}
        )
    assert len(await alerts(client)) == 2


async def test_value_back_inside_thresholds_answers_ok_and_resolves(client: httpx.AsyncClient) -> None:
    fired = (await client.post("/api/alerts/send", json=PAYLOADS["system_memory_high"])).json()
    ok_body = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 40}}
    answer = (await client.post("/api/alerts/send", json=ok_body)).json()
    assert answer == {
        "alert_id": fired["alert_id"],
        "fingerprint": fired["fingerprint"],
        "state": "ok",
        "severity": None,
    }
    [alert] = await alerts(client)
    assert alert["state"] == "resolved"


async def test_repeated_signal_counts_and_tracks_peak(client: httpx.AsyncClient, clock: FakeClock) -> None:
    for value in (60, 120, 80):
        clock.advance(30)
        body = {"rule_name": "sentry_error_rate", "metric_data": {"metric_value": value}, "labels": {"project": "p"}}
        await client.post("/api/alerts/send", json=body)
    [alert] = await alerts(client)
    assert (alert["count"], alert["value"], alert["peak_value"], alert["severity"]) == (3, 80, 120, "critical")
    assert alert["first_seen"] != alert["last_seen"]


async def test_hundred_alerts_in_one_request_are_one_transaction(client: httpx.AsyncClient, hub: Hub) -> None:
    async def post(n: int, offset: int) -> tuple[int, int]:
        batch = [{"labels": {"alertname": "Load", "instance": f"i{offset + i}"}} for i in range(n)]
        with counting(hub.db) as counts:
            answer = await client.post("/api/v2/alerts", json=batch)
        assert answer.status_code == 200, answer.text
        return counts.commits, counts.statements

    # One warm-up request first: the credentials snapshot is read once on the first request, then cached.
    assert (await client.get("/api/rules")).status_code == 200
    await post(1, 5000)  # first request: caches (tokens, users) warm up outside the measurement
    small_commits, small_statements = await post(10, 0)
    commits, statements = await post(100, 1000)
    assert commits == 1 and small_commits == 1
    assert statements == small_statements, "statements must not grow with the number of alerts"
    assert len(await alerts(client, limit=1000)) == 111


async def test_alertmanager_resend_dedups_and_ends_at_resolves(client: httpx.AsyncClient, clock: FakeClock) -> None:
    alert = {
        "labels": {"alertname": "DiskFull", "severity": "warning", "host": "db1"},
        "annotations": {"summary": "95%"},
    }
    for _ in range(3):
        clock.advance(15)
        assert (await client.post("/api/v2/alerts", json=[alert])).status_code == 200
    [stored] = await alerts(client)
    assert (stored["count"], stored["state"], stored["severity"], stored["rule_name"]) == (
        3,
        "firing",
        "warning",
        "DiskFull",
    )
    past = clock().isoformat()
    clock.advance(1)
    await client.post("/api/v2/alerts", json=[{**alert, "endsAt": past}])
    [stored] = await alerts(client)
    assert stored["state"] == "resolved"


async def test_pagerduty_trigger_acknowledge_resolve(client: httpx.AsyncClient) -> None:
    trigger = {
        "routing_key": "k" * 32,
        "event_action": "trigger",
        "dedup_key": "disk-db1",
        "payload": {"summary": "Disk 95%", "source": "db1", "severity": "critical"},
    }
    answer = await client.post("/v2/enqueue", json=trigger)
    assert answer.status_code == 202
    assert answer.json() == {"status": "success", "message": "Event processed", "dedup_key": "disk-db1"}
    for action, state in (("acknowledge", "acknowledged"), ("resolve", "resolved")):
        response = await client.post(
            "/v2/enqueue", json={"routing_key": "k" * 32, "event_action": action, "dedup_key": "disk-db1"}
        )
        assert response.status_code == 202
        [alert] = await alerts(client)
        assert alert["state"] == state
    assert alert["annotations"]["summary"] == "Disk 95%" and alert["severity"] == "critical"


async def test_pagerduty_errors_use_pagerduty_shape(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v2/enqueue", json={"routing_key": "k", "event_action": "trigger"})
    # PagerDuty answers an invalid event with 400 (issue #18), so alerthub does too.
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == "invalid event" and body["errors"]


async def test_alertmanager_webhook_v4(client: httpx.AsyncClient) -> None:
    body = {
        "version": "4",
        "status": "firing",
        "receiver": "alerthub",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "Up", "job": "node"},
                "startsAt": "2026-11-27T08:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
            }
        ],
    }
    assert (await client.post("/webhooks/alertmanager", json=body)).status_code == 200
    [alert] = await alerts(client)
    assert alert["source"] == "alertmanager-webhook" and alert["state"] == "firing"


async def test_seed_hetrixtools_down_fires_critical_whatever_the_uptime(client: httpx.AsyncClient) -> None:
    # The seed's monitor posts when uptime < 99 % *or* the service is down; a minute into an outage
    # the month's uptime still reads 99.95 %, and the service is down all the same.
    body = PAYLOADS["hetrixtools_uptime"]
    data = {**body["metric_data"]["hetrixtools_data"], "uptime_percentage": 99.95, "status": "down"}
    down = {**body, "metric_data": {**body["metric_data"], "metric_value": 99.95, "hetrixtools_data": data}}
    answer = (await client.post("/api/alerts/send", json=down)).json()
    assert (answer["state"], answer["severity"]) == ("firing", "critical")

    # Back up at 99.95 %: inside the threshold, so the alert resolves.
    up = {**down, "metric_data": {**down["metric_data"], "hetrixtools_data": {**data, "status": "up"}}}
    assert (await client.post("/api/alerts/send", json=up)).json()["state"] == "ok"
    [alert] = await alerts(client)
    assert alert["state"] == "resolved"
