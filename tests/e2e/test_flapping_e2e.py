"""Flapping through a real `alerthub serve` and the Discord stand-in: a value toggling across its threshold
pages as usual until it flaps, then one notice, nothing while it keeps toggling, and one notice when it
has settled (the running hub's sweeper ends the spell)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.processes import ServerProcess, running, write_config
from support.standins import DiscordStandIn

pytestmark = pytest.mark.e2e


@pytest.fixture
def discord() -> Iterator[DiscordStandIn]:
    server = DiscordStandIn(limit=10_000)
    yield server
    server.close()


def flapping_facts(discord: DiscordStandIn) -> list[str]:
    out = []
    for request in discord.requests:
        fields = request.json()["embeds"][0].get("fields", [])
        out += [f["value"] for f in fields if f["name"] == "Flapping"]
    return out


def test_a_toggling_value_pages_once_as_flapping_and_once_when_it_settles(
    tmp_path: Path, discord: DiscordStandIn
) -> None:
    config = {
        "storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "channels": [{"name": "discord", "type": "discord", "url": discord.url(), "rate_per_second": 1000,
                      "burst": 1000}],
        "route": {"group_wait": "0s", "group_interval": "1s"},
        "rules": [{"name": "disk_full", "thresholds": {"critical": 90},
                   "flapping": {"window": "5m", "changes": 2, "settle": "2s"}}],
    }  # fmt: skip
    server = ServerProcess(write_config(tmp_path / "alerthub.yaml", config), tmp_path)
    with running(server), httpx.Client(base_url=server.url, timeout=10) as http:

        def send(value: float) -> None:
            body = {"rule_name": "disk_full", "metric_data": {"metric_value": value}, "labels": {"host": "db-1"}}
            assert http.post("/api/alerts/send", json=body).status_code == 202
            time.sleep(1.5)  # past the group's interval, so each change is its own flush

        for value in (97, 50):
            send(value)
        assert len(discord.requests) == 2 and flapping_facts(discord) == []
        send(97)  # the third change: flapping
        [started] = flapping_facts(discord)
        assert started.startswith("flapping: 3 changes in 5m (")
        sent = len(discord.requests)
        for value in (50, 97, 50):
            send(value)
        assert len(discord.requests) == sent  # nothing while it flaps
        deadline = time.monotonic() + 30  # the sweeper looks every 15 s
        while time.monotonic() < deadline and len(flapping_facts(discord)) < 2:
            time.sleep(0.2)
        assert flapping_facts(discord)[1:] and flapping_facts(discord)[1].startswith("flapping ended: resolved for ")
        listed = http.get("/api/alerts", params={"flapping": "true"}).json()["alerts"]
    assert listed == []
    assert len(discord.requests) == sent + 1
