"""GET /api/monitoring/status, extended: besides the pollers it lists every heartbeat (as GET /api/heartbeats
does) and each source that has sent a signal, with its last one and how many in the last 24 hours. The
keys it had keep their meaning: clients depend on them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from support.clock import FakeClock

SEED_KEYS = {"active_monitors", "monitor_types", "status", "failing_monitors", "monitors"}


@pytest.fixture
def config() -> Config:
    return Config.model_validate({"heartbeats": [{"name": "backup", "expect_every": "1h", "grace": "5m"}]})


async def send(client: httpx.AsyncClient, value: float) -> None:
    body = {"rule_name": "sentry_error_rate", "metric_data": {"metric_value": value}, "labels": {"project": "shop"}}
    assert (await client.post("/api/alerts/send", json=body)).status_code == 202


async def status(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/api/monitoring/status")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_nothing_sent_yet_lists_no_source_and_the_heartbeat_waiting(client: httpx.AsyncClient) -> None:
    body = await status(client)
    assert set(body) == SEED_KEYS | {"heartbeats", "sources"}, "extended, nothing removed"
    assert (body["active_monitors"], body["monitor_types"], body["status"], body["monitors"]) == (0, [], "running", [])
    assert body["sources"] == []
    assert body["heartbeats"] == [
        {
            "name": "backup",
            "status": "waiting",
            "origin": "config",
            "expect_every": 3600.0,
            "grace": 300.0,
            "labels": {},
            "last_ping_at": None,
            "due_at": None,
            "missing_at": None,
            "created_at": None,
        }
    ]


async def test_heartbeats_read_as_the_heartbeat_list_does(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await client.get("/api/heartbeats/backup")
    await client.post("/api/heartbeats/nightly-report", params={"expect_every": "10m"})
    clock.advance(minutes=11)
    beats = (await status(client))["heartbeats"]
    assert beats == (await client.get("/api/heartbeats")).json()["heartbeats"]
    assert [(b["name"], b["status"], b["last_ping_at"]) for b in beats] == [
        ("backup", "up", "2026-11-27T09:00:00Z"),
        ("nightly-report", "missing", "2026-11-27T09:00:00Z"),
    ]


async def test_each_source_with_its_last_signal_and_its_count_over_24_hours(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await send(client, 57)
    answer = await client.post("/api/v2/alerts", json=[{"labels": {"alertname": "Down", "job": "api"}}])
    assert answer.status_code == 200
    clock.advance(hours=20)
    await send(client, 3)  # back inside thresholds: resolves the alert
    await send(client, 4)  # changes nothing, but the source spoke all the same
    assert (await status(client))["sources"] == [
        {"source": "alertmanager", "last_received_at": "2026-11-27T09:00:00Z", "received_24h": 1},
        {"source": "api", "last_received_at": "2026-11-28T05:00:00Z", "received_24h": 3},
    ]
    clock.advance(hours=5)  # the first signals are now 25 hours old
    assert (await status(client))["sources"] == [
        {"source": "alertmanager", "last_received_at": "2026-11-27T09:00:00Z", "received_24h": 0},
        {"source": "api", "last_received_at": "2026-11-28T05:00:00Z", "received_24h": 2},
    ]


async def test_a_missing_heartbeat_is_not_listed_as_a_source(
    client: httpx.AsyncClient, hub: Hub, clock: FakeClock
) -> None:
    await client.post("/api/heartbeats/job", params={"expect_every": "10m"})
    clock.advance(minutes=11)
    assert await hub.heartbeats.check_once(clock()), "heartbeat_missing raised, by alerthub itself"
    body = await status(client)
    assert body["sources"] == []
    assert {b["name"]: b["status"] for b in body["heartbeats"]}["job"] == "missing"
