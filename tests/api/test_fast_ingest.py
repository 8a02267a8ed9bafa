"""`POST /api/v2/alerts` is answered by api/fast_ingest.py before FastAPI's routing: every answer must be
the one the documented FastAPI route gives, status, headers and body alike, and nothing half-stored."""

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
