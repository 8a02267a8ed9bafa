from __future__ import annotations

from typing import Any

import httpx

from support.clock import FakeClock


async def fire(client: httpx.AsyncClient, rule: str, value: float, **labels: str) -> dict[str, Any]:
    body = {"rule_name": rule, "metric_data": {"metric_value": value}, "labels": labels}
    answer = await client.post("/api/alerts/send", json=body)
    assert answer.status_code == 202, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def listing(client: httpx.AsyncClient, params: Any = None) -> dict[str, Any]:
    answer = await client.get("/api/alerts", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_filters_combine(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await fire(client, "sentry_error_rate", 60, project="shop")
    await fire(client, "sentry_error_rate", 20, project="blog")
    await fire(client, "system_disk_high", 95, host="db1")
    await client.post("/api/v2/alerts", json=[{"labels": {"alertname": "Up", "team": "web"}}])
    clock.advance(60)
    await fire(client, "system_disk_high", 10, host="db1")  # resolves

    def names(body: dict[str, Any]) -> set[str]:
        return {a["labels"].get("project") or a["labels"].get("host") or a["rule_name"] for a in body["alerts"]}

    assert names(await listing(client, {"state": "firing"})) == {"shop", "blog", "Up"}
    assert names(await listing(client, {"severity": "critical"})) == {"shop"}
    assert names(await listing(client, [("severity", "critical"), ("severity", "high")])) == {"shop", "blog", "db1"}
    assert names(await listing(client, {"rule": "system_disk_high"})) == {"db1"}
    assert names(await listing(client, {"source": "alertmanager"})) == {"Up"}
    assert names(await listing(client, {"label": "project:blog"})) == {"blog"}
    assert names(await listing(client, {"state": "resolved"})) == {"db1"}
    assert names(await listing(client, {"since": clock().isoformat()})) == {"db1"}


async def test_cursor_pages_through_everything_once(client: httpx.AsyncClient, clock: FakeClock) -> None:
    batch = [{"labels": {"alertname": "Many", "n": str(i)}} for i in range(25)]
    await client.post("/api/v2/alerts", json=batch)  # same last_seen for all: the id breaks ties
    clock.advance(1)
    await client.post("/api/v2/alerts", json=[{"labels": {"alertname": "Later"}}])
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = await listing(client, params)
        seen += [a["id"] for a in body["alerts"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 26
    first_page = (await listing(client, {"limit": 1}))["alerts"]
    assert first_page[0]["rule_name"] == "Later"


async def test_ack_then_resolve_records_who_and_why(client: httpx.AsyncClient) -> None:
    alert_id = (await fire(client, "system_memory_high", 97))["alert_id"]
    acked = await client.post(f"/api/alerts/{alert_id}/ack", json={"by": "alice", "comment": "looking"})
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    assert acked.json()["acknowledged_by"] == "alice"
    again = await client.post(f"/api/alerts/{alert_id}/ack", json={"by": "bob"})
    assert again.status_code == 409
    resolved = await client.post(f"/api/alerts/{alert_id}/resolve", json={"by": "alice", "comment": "restarted"})
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert (await client.post(f"/api/alerts/{alert_id}/resolve")).status_code == 409
    detail = (await client.get(f"/api/alerts/{alert_id}")).json()
    transitions = [(h["to_state"], h["actor"], h["reason"]) for h in detail["history"]]
    assert transitions == [
        ("firing", "signal:api", "threshold crossed"),
        ("acknowledged", "user:alice", "looking"),
        ("resolved", "user:alice", "restarted"),
    ]
    assert detail["raw"] == {"rule_name": "system_memory_high", "metric_data": {"metric_value": 97}, "labels": {}}


async def test_action_without_body_uses_api_as_actor(client: httpx.AsyncClient) -> None:
    alert_id = (await fire(client, "system_memory_high", 97))["alert_id"]
    answer = await client.post(f"/api/alerts/{alert_id}/resolve")
    assert answer.status_code == 200
    history = (await client.get(f"/api/alerts/{alert_id}")).json()["history"]
    assert history[-1]["actor"] == "user:api"


async def test_bad_action_body_is_rejected(client: httpx.AsyncClient) -> None:
    alert_id = (await fire(client, "system_memory_high", 97))["alert_id"]
    answer = await client.post(f"/api/alerts/{alert_id}/ack", json={"by": "", "unknown": 1})
    assert answer.status_code == 422
    locations = {e["loc"] for e in answer.json()["errors"]}
    assert {"body.by", "body.unknown"} <= locations
    assert (await client.get(f"/api/alerts/{alert_id}")).json()["state"] == "firing"


async def test_reopened_alert_keeps_its_id_and_counts_episodes(client: httpx.AsyncClient) -> None:
    first = await fire(client, "system_disk_high", 95, host="db1")
    await fire(client, "system_disk_high", 10, host="db1")
    again = await fire(client, "system_disk_high", 99, host="db1")
    assert again["alert_id"] == first["alert_id"] and again["state"] == "firing"
    detail = (await client.get(f"/api/alerts/{first['alert_id']}")).json()
    assert detail["episode"] == 2 and [h["reason"] for h in detail["history"]][-1] == "reopened: threshold crossed"


async def test_trace_lists_every_recorded_event(client: httpx.AsyncClient) -> None:
    alert_id = (await fire(client, "sentry_error_rate", 20, project="p"))["alert_id"]
    await fire(client, "sentry_error_rate", 80, project="p")
    trace = (await client.get(f"/api/alerts/{alert_id}/trace")).json()
    kinds = [t["kind"] for t in trace["trace"]]
    assert trace["alert_id"] == alert_id
    assert kinds[0] == "transition" and "severity" in kinds
    assert "decision" in kinds, "the pipeline's routing decision is part of the trace"
