"""GET /api/monitoring/status tells the truth: the seed's shape, plus each poller's last run, last
success, last error and next run — and a poller whose API is down raises its own alert."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from alerthub.ingest.poller import Supervisor
from alerthub.sources.hetrixtools import HetrixToolsConfig
from alerthub.sources.hetrixtools_poller import HetrixToolsPoller
from support.clock import FakeClock
from support.fake_apis import HetrixToolsAPI, supervisor_for


@pytest.fixture
def down_url(clock: FakeClock) -> str:
    """The address of a HetrixTools stand-in that has been shut: connections are refused."""
    api = HetrixToolsAPI(now=clock)
    api.start()
    api.stop()
    return api.url


@pytest.fixture
def config(down_url: str) -> Config:
    return Config.model_validate({"integrations": {"hetrixtools": {"api_key": "hetrix-api-key", "base_url": down_url}}})


@pytest.fixture
def hetrix_api(clock: FakeClock) -> Iterator[HetrixToolsAPI]:
    api = HetrixToolsAPI(now=clock)
    api.start()
    yield api
    api.stop()


def supervisor(hub: Hub, http: httpx.AsyncClient, base_url: str) -> Supervisor:
    settings = HetrixToolsConfig.model_validate({"api_key": "hetrix-api-key", "base_url": base_url})
    return supervisor_for(hub, HetrixToolsPoller(settings, http, hub.clock), interval=300)


async def test_the_seed_shape_with_one_entry_per_monitor(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/monitoring/status")).json()
    assert body["active_monitors"] == 1
    assert body["monitor_types"] == ["hetrixtools"]
    assert body["status"] == "running"
    assert body["monitors"] == [
        {
            "name": "hetrixtools",
            "kind": "hetrixtools",
            "interval_seconds": 300.0,
            "last_run": None,
            "last_success": None,
            "last_error": None,
            "last_error_at": None,
            "next_run": None,
            "consecutive_failures": 0,
            "healthy": True,
        }
    ]


async def test_a_down_api_shows_in_the_status_and_raises_monitor_failing(
    client: httpx.AsyncClient,
    hub: Hub,
    clock: FakeClock,
    http: httpx.AsyncClient,
    down_url: str,
    hetrix_api: HetrixToolsAPI,
) -> None:
    failing = supervisor(hub, http, down_url)
    for _ in range(3):
        await failing.run_once()
        clock.advance(3600)

    body = (await client.get("/api/monitoring/status")).json()
    monitor = body["monitors"][0]
    assert monitor["consecutive_failures"] == 3 and monitor["healthy"] is False
    assert monitor["last_error"].startswith(f"hetrixtools: cannot reach {down_url}/v3/uptime-monitors")
    assert monitor["last_success"] is None and monitor["last_run"] is not None
    assert monitor["next_run"] > monitor["last_run"]
    assert body["failing_monitors"] == 1

    alerts = (await client.get("/api/alerts", params={"rule": "alerthub_monitor_failing"})).json()["alerts"]
    assert [(a["state"], a["labels"], a["value"]) for a in alerts] == [("firing", {"monitor": "hetrixtools"}, 3.0)]

    # The API is back (the stand-in now answers): one good run clears both.
    await supervisor(hub, http, hetrix_api.url).run_once()
    monitor = (await client.get("/api/monitoring/status")).json()["monitors"][0]
    assert monitor["consecutive_failures"] == 0 and monitor["healthy"] is True
    assert monitor["last_success"] == monitor["last_run"]
    assert monitor["last_error"].startswith("hetrixtools: cannot reach")  # kept, with its time, for the record
    alerts = (await client.get("/api/alerts", params={"rule": "alerthub_monitor_failing"})).json()["alerts"]
    assert [a["state"] for a in alerts] == ["resolved"]
