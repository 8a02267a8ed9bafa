"""A value toggling across its threshold, on the fake clock, as the receiver sees it over the Discord
stand-in: the first changes page as usual; the change that makes it flapping sends one notice with its
recent changes; further changes send nothing; once it has held one state for `settle`, one message gives
the outcome, and the group does not announce it again. `GET /api/alerts?flapping=true` lists it meanwhile,
and its history tells the spell."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from alerthub.channels.http import HttpClient
from alerthub.config.models import Config
from alerthub.delivery.client import delivery_client
from alerthub.hub import Hub
from alerthub.services.sweeper import Sweeper
from support.clock import FakeClock
from support.pipeline import fire
from support.standins import DiscordStandIn


@pytest.fixture
def discord(clock: FakeClock) -> Iterator[DiscordStandIn]:
    server = DiscordStandIn(now=lambda: clock().timestamp(), limit=1000)
    yield server
    server.close()


@pytest.fixture
def config(discord: DiscordStandIn) -> Config:
    return Config.model_validate(
        {
            "channels": [{"name": "discord", "type": "discord", "url": discord.url(), "rate_per_second": 100,
                          "burst": 100}],
            "route": {"group_wait": "0s", "group_interval": "1s", "group_by": ["host"]},
            "rules": [
                {"name": "disk_full", "thresholds": {"critical": 90},
                 "flapping": {"window": "1h", "changes": 3, "settle": "10m"}}
            ],
        }
    )  # fmt: skip


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with delivery_client() as client:
        yield client


async def step(hub: Hub, clock: FakeClock, http: HttpClient, value: float) -> None:
    """A minute later the value is `value`; then the group's next flush, and delivery."""
    clock.advance(minutes=1)
    await fire(hub, "disk_full", value, host="db-1")
    clock.advance(seconds=2)
    await hub.pipeline.dispatcher.run_once()
    await hub.delivery.tick(http)


def said(discord: DiscordStandIn) -> list[str]:
    """Each message Discord got, as `METHOD title [flapping fact]`."""
    out = []
    for request in discord.requests:
        embed = request.json()["embeds"][0]
        facts = {f["name"]: f["value"] for f in embed.get("fields", [])}
        out.append(f"{request.method} {embed['title']}" + (f" [{facts['Flapping']}]" if "Flapping" in facts else ""))
    return out


@pytest.mark.parametrize("ends", ["resolved", "firing"])
async def test_flapping_pages_once_and_once_more_when_it_settles(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, http: HttpClient, client: httpx.AsyncClient, ends: str
) -> None:
    for value in (97, 50, 97):  # three changes: paged as usual
        await step(hub, clock, http, value)
    assert len(discord.requests) == 3
    await step(hub, clock, http, 50)  # the fourth change within the hour: flapping
    notice = said(discord)[-1]
    # On Discord it edits the group's message in place (as every follow-up does), now saying it flaps.
    assert notice.startswith("PATCH [Resolved] disk_full — db-1 [flapping: 4 changes in 1h (")
    listed = (await client.get("/api/alerts", params={"flapping": "true"})).json()["alerts"]
    assert [a["flapping"] for a in listed] == [True] and listed[0]["flapping_since"] is not None

    for value in (97, 50, 97, 50) if ends == "resolved" else (97, 50, 97):  # nothing more while it flaps
        await step(hub, clock, http, value)
    assert len(discord.requests) == 4

    sweeper = Sweeper(hub.db, hub.clock, hub.hooks, hub.metrics, hub.rules)
    clock.advance(minutes=9)
    await sweeper.sweep_once()
    assert (await client.get("/api/alerts", params={"flapping": "true"})).json()["alerts"] != []
    clock.advance(minutes=1)
    await sweeper.sweep_once()  # held one state for 10 minutes: the spell ends
    clock.advance(seconds=2)
    await hub.pipeline.dispatcher.run_once()
    await hub.delivery.tick(http)
    assert len(discord.requests) == 5
    assert f"[flapping ended: {ends} for 10m 2s]" in said(discord)[-1]
    assert (await client.get("/api/alerts", params={"flapping": "true"})).json()["alerts"] == []

    clock.advance(minutes=1)  # the group does not announce the outcome a second time
    await hub.pipeline.dispatcher.run_once()
    await hub.delivery.tick(http)
    assert len(discord.requests) == 5
    alert_id = listed[0]["id"]
    history = (await client.get(f"/api/alerts/{alert_id}")).json()["history"]
    spell = [e["reason"] for e in history if e["kind"] == "flapping"]
    assert spell[0].startswith("flapping: 4 changes in 1h") and spell[1] == f"flapping ended: {ends} for 10m 2s"


async def test_flapping_false_turns_it_off(
    discord: DiscordStandIn, clock: FakeClock, db: Any, http: HttpClient
) -> None:
    from alerthub.hub import build_hub

    config = Config.model_validate(
        {
            "channels": [{"name": "discord", "type": "discord", "url": discord.url(), "rate_per_second": 100,
                          "burst": 100}],
            "route": {"group_wait": "0s", "group_interval": "1s"},
            "rules": [{"name": "disk_full", "thresholds": {"critical": 90}, "flapping": False}],
        }
    )  # fmt: skip
    hub = build_hub(config, clock=clock, db=db)
    for value in (97, 50, 97, 50, 97, 50):
        await step(hub, clock, http, value)
    assert len(discord.requests) == 6 and not any("[" in line.split("] ", 1)[-1] for line in said(discord))
