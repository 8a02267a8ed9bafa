"""The ingest endpoints are answered by api/ingest_lane.py before FastAPI's routing: every answer must be
the one the framework-routed endpoint gives, status, headers and body alike, and nothing half-stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from alerthub.api.app import create_app
from alerthub.config.models import Config
from alerthub.hub import Hub, build_hub
from alerthub.store.database import Database

MAX_BODY = 2048
MAX_ALERTS = 3
JSON = {"content-type": "application/json"}


@pytest.fixture
def config() -> Config:
    return Config.model_validate({"server": {"max_body_bytes": MAX_BODY, "max_alerts_per_request": MAX_ALERTS}})


@pytest.fixture
async def route_only(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    """The same hub with the fast path off: the framework's route answers."""
    app = create_app(hub, migrate=False, run_background=False, fast_ingest=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        yield http


def _alert(name: str, **extra: object) -> dict[str, object]:
    return {"labels": {"alertname": name, "instance": "web-1"}, **extra}


async def _chunks() -> AsyncIterator[bytes]:
    for _ in range(4):
        yield b" " * 1024  # JSON whitespace: only the size can reject it


BAD_REQUESTS: list[tuple[str, dict[str, object]]] = [
    ("malformed JSON", {"content": b"[{", "headers": JSON}),
    ("empty body", {"content": b"", "headers": JSON}),
    ("NaN", {"content": b"[NaN]", "headers": JSON}),
    ("object, not array", {"json": {"labels": {"alertname": "A"}}}),
    ("no alertname", {"json": [{"labels": {"instance": "x"}}]}),
    ("label value not a string", {"json": [{"labels": {"alertname": "A", "n": 1}}]}),
    ("second alert invalid", {"json": [_alert("A"), {"labels": {}}]}),
    ("endsAt before startsAt", {"json": [_alert("A", startsAt="2026-01-02T00:00:00Z", endsAt="2026-01-01T00:00:00Z")]}),
    ("startsAt before year 1 in UTC", {"json": [_alert("A", startsAt="0001-01-01T00:00:00+05:00")]}),
    ("endsAt after year 9999 in UTC", {"json": [_alert("A", endsAt="9999-12-31T23:00:00-05:00")]}),
    ("too many alerts", {"json": [_alert(f"A{i}") for i in range(MAX_ALERTS + 1)]}),
    ("wrong content type", {"content": b"[]", "headers": {"content-type": "text/plain"}}),
    ("no content type", {"content": b"[]"}),
    ("declared too large", {"content": b"[]", "headers": {**JSON, "content-length": str(MAX_BODY + 1)}}),
    ("content-length not a number", {"content": b"[]", "headers": {**JSON, "content-length": "x"}}),
    ("streamed past the limit", {"content": _chunks, "headers": JSON}),
]


@pytest.mark.parametrize(("case", "request_args"), BAD_REQUESTS, ids=[case for case, _ in BAD_REQUESTS])
async def test_bad_input_gets_the_routes_answer_and_stores_nothing(
    client: httpx.AsyncClient, route_only: httpx.AsyncClient, case: str, request_args: dict[str, object]
) -> None:
    answers = []
    for http in (client, route_only):
        args = {k: (v() if callable(v) else v) for k, v in request_args.items()}
        answers.append(await http.post("/api/v2/alerts", **args))  # type: ignore[arg-type]
    fast, route = answers
    assert 400 <= fast.status_code < 500, case
    assert (fast.status_code, fast.json(), fast.headers.get("content-type")) == (
        route.status_code,
        route.json(),
        route.headers.get("content-type"),
    )
    assert fast.json()["detail"] and fast.json()["errors"] is not None
    assert (await client.get("/api/alerts")).json()["alerts"] == []


async def test_accepted_alerts_get_the_routes_answer(client: httpx.AsyncClient, route_only: httpx.AsyncClient) -> None:
    fast = await client.post("/api/v2/alerts", json=[_alert("A"), _alert("B")])
    route = await route_only.post("/api/v2/alerts", json=[_alert("C")])
    assert fast.status_code == route.status_code == 200
    assert fast.json() == {"status": "success", "accepted": 2}
    assert route.json() == {"status": "success", "accepted": 1}
    assert fast.headers["content-type"] == route.headers["content-type"] == "application/json"
    assert int(fast.headers["content-length"]) == len(fast.content)
    names = {a["labels"]["alertname"] for a in (await client.get("/api/alerts")).json()["alerts"]}
    assert names == {"A", "B", "C"}


async def test_rejections_are_counted_like_the_routes(client: httpx.AsyncClient) -> None:
    await client.post("/api/v2/alerts", content=b"[{", headers=JSON)
    await client.post("/api/v2/alerts", content=b"[]", headers={"content-type": "text/plain"})
    metrics = (await client.get("/metrics")).text
    assert 'alerthub_requests_rejected_total{status="400"} 1.0' in metrics
    assert 'alerthub_requests_rejected_total{status="415"} 1.0' in metrics
    assert 'alerthub_request_duration_seconds_count{method="POST",route="/api/v2/alerts"} 2.0' in metrics


async def test_other_methods_and_paths_still_reach_the_framework(client: httpx.AsyncClient) -> None:
    other_method = await client.put("/api/v2/alerts", json=[_alert("A")])
    assert other_method.status_code == 405 and other_method.headers["allow"] == "POST"
    assert (await client.get("/api/alerts")).json()["alerts"] == []
    assert (await client.post("/api/v2/alerts/x", json=[])).status_code == 404


async def test_a_database_outage_is_a_503_with_retry_after() -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    hub = build_hub(Config(), db=Database("postgresql://alerthub@127.0.0.1:1/alerthub"))
    app = create_app(hub, migrate=False, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        answer = await client.post("/api/v2/alerts", json=[_alert("A")])
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert "nothing was stored" in answer.json()["detail"]
    await hub.db.dispose()


OTHER_ENDPOINTS: list[tuple[str, object, object]] = [
    (
        "/api/alerts/send",
        {"rule_name": "sentry_error_rate", "metric_data": {"metric_value": 57, "sentry_data": {"project": "p"}}},
        {"rule_name": "no_such_rule", "metric_data": {"metric_value": 1}},
    ),
    (
        "/webhooks/alertmanager",
        {"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "W"}}]},
        {"version": "4", "alerts": "not a list"},
    ),
    (
        "/v2/enqueue",
        {
            "routing_key": "k" * 32,
            "event_action": "trigger",
            "dedup_key": "d1",
            "payload": {"summary": "disk full", "source": "web-1", "severity": "critical"},
        },
        {"routing_key": "k" * 32, "event_action": "explode"},
    ),
]


@pytest.mark.parametrize(("path", "good", "bad"), OTHER_ENDPOINTS, ids=[p for p, _, _ in OTHER_ENDPOINTS])
async def test_every_ingest_endpoint_answers_alike_with_and_without_the_lane(
    client: httpx.AsyncClient, route_only: httpx.AsyncClient, path: str, good: object, bad: object
) -> None:
    lane, routed = [await http.post(path, json=good) for http in (client, route_only)]
    assert lane.status_code == routed.status_code and lane.status_code in (200, 202)
    assert lane.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert lane.json().keys() == routed.json().keys()
    lane_bad, routed_bad = [await http.post(path, json=bad) for http in (client, route_only)]
    assert 400 <= lane_bad.status_code < 500
    assert (lane_bad.status_code, lane_bad.json()) == (routed_bad.status_code, routed_bad.json())
    metrics = (await client.get("/metrics")).text
    # Both apps feed the hub's one histogram, by the route's template: two requests each.
    assert f'alerthub_request_duration_seconds_count{{method="POST",route="{path}"}} 4.0' in metrics
