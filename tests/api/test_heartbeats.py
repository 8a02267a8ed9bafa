"""The heartbeat endpoints over HTTP: what a cron one-liner and a person see."""

from __future__ import annotations

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from support.clock import FakeClock
from support.webhooks import store_counts


@pytest.fixture
def config() -> Config:
    return Config.model_validate({"heartbeats": [{"name": "backup", "expect_every": "1h", "grace": "5m"}]})


async def test_first_ping_defines_the_heartbeat(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/heartbeats/nightly-report", params={"expect_every": "5m", "grace": "1m"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["name"], body["status"], body["origin"]) == ("nightly-report", "up", "ping")
    assert (body["expect_every"], body["grace"]) == (300, 60)
    assert body["last_ping_at"] == "2026-11-27T09:00:00Z"
    assert body["due_at"] == "2026-11-27T09:05:00Z"
    assert body["missing_at"] == "2026-11-27T09:06:00Z"


async def test_get_pings_too_for_cron_one_liners(client: httpx.AsyncClient, clock: FakeClock) -> None:
    assert (await client.get("/api/heartbeats/backup")).status_code == 200
    clock.advance(minutes=30)
    answer = await client.get("/api/heartbeats/backup")
    assert answer.json()["last_ping_at"] == "2026-11-27T09:30:00Z"
    assert answer.json()["origin"] == "config"


async def test_the_list_shows_each_heartbeat_and_its_status(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await client.post("/api/heartbeats/job", params={"expect_every": "10m"})
    clock.advance(minutes=11)
    listed = {h["name"]: h for h in (await client.get("/api/heartbeats")).json()["heartbeats"]}
    assert listed["job"]["status"] == "missing"
    # Configured and never pinged: waiting, listed before the checker has written it.
    assert listed["backup"]["status"] == "waiting"
    assert listed["backup"]["last_ping_at"] is None


async def test_a_missing_heartbeat_alert_is_visible_and_the_ping_resolves_it(
    hub: Hub, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await client.post("/api/heartbeats/job", params={"expect_every": "10m"})
    clock.advance(minutes=11)
    await hub.heartbeats.check_once(clock())
    [alert] = (await client.get("/api/alerts", params={"rule": "heartbeat_missing"})).json()["alerts"]
    assert (alert["state"], alert["labels"]) == ("firing", {"heartbeat": "job"})
    await client.get("/api/heartbeats/job")
    [alert] = (await client.get("/api/alerts", params={"rule": "heartbeat_missing"})).json()["alerts"]
    assert alert["state"] == "resolved"


@pytest.mark.parametrize(
    ("path", "params", "status", "loc"),
    [
        ("/api/heartbeats/unknown", {}, 404, None),
        ("/api/heartbeats/job", {"expect_every": "five minutes"}, 422, "query.expect_every"),
        ("/api/heartbeats/job", {"expect_every": "0s"}, 422, "query.expect_every"),
        ("/api/heartbeats/job", {"expect_every": "5m", "grace": "-1"}, 422, "query.grace"),
        ("/api/heartbeats/has%20space", {"expect_every": "5m"}, 422, "path.name"),
        ("/api/heartbeats/webhook:sentry", {"expect_every": "5m"}, 422, "path.name"),
    ],
)
async def test_bad_pings_are_4xx_and_store_nothing(
    client: httpx.AsyncClient, hub: Hub, path: str, params: dict[str, str], status: int, loc: str | None
) -> None:
    answer = await client.post(path, params=params)
    assert answer.status_code == status, answer.text
    if loc:
        assert loc in [e["loc"] for e in answer.json()["errors"]]
    else:
        assert "expect_every" in answer.json()["detail"]
    assert [h["name"] for h in (await client.get("/api/heartbeats")).json()["heartbeats"]] == ["backup"]
    assert await store_counts(hub.db) == (0, 0)


async def test_delete_forgets_a_pinged_heartbeat_but_not_a_configured_one(client: httpx.AsyncClient) -> None:
    await client.post("/api/heartbeats/job", params={"expect_every": "10m"})
    assert (await client.delete("/api/heartbeats/job")).status_code == 204
    assert (await client.delete("/api/heartbeats/job")).status_code == 404
    assert (await client.delete("/api/heartbeats/backup")).status_code == 409
