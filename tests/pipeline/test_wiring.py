"""The wired hub: an ingest commit wakes the dispatcher loop at once (group_wait 0), the loop stops on
request, and the trace endpoint serves the pipeline's decisions."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub, build_hub
from support.clock import FakeClock
from support.pipeline import dispatcher, fire, groups_table, outbox, trace

CONFIG = {
    "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
    "route": {"receiver": "discord", "group_by": ["service"], "group_wait": "0s"},
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


async def test_an_ingest_wakes_the_dispatcher_loop(hub: Hub, client: httpx.AsyncClient) -> None:
    stop = asyncio.Event()
    loop = asyncio.create_task(hub.background["dispatcher"](stop))
    try:
        await asyncio.sleep(0.05)  # the loop has found nothing due and sleeps (up to 5s) until woken
        hub.wake_delivery.clear()
        body = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 97}, "labels": {"service": "db"}}
        assert (await client.post("/api/alerts/send", json=body)).status_code == 202
        async with asyncio.timeout(2):  # well under the loop's own 5s look-around: the wake did it
            while not await outbox(hub):
                await asyncio.sleep(0.01)
        [row] = await outbox(hub)
        assert (row.channel, row.status, row.reason) == ("discord", "pending", "first notification")
        assert hub.wake_delivery.is_set(), "delivery is told at once"
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)


async def test_trace_endpoint_shows_the_decisions(hub: Hub, client: httpx.AsyncClient, clock: FakeClock) -> None:
    body = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 97}, "labels": {"service": "db"}}
    alert_id = (await client.post("/api/alerts/send", json=body)).json()["alert_id"]
    await dispatcher(hub).run_once()
    trace = (await client.get(f"/api/alerts/{alert_id}/trace")).json()["trace"]
    decisions = [(e["actor"], e["reason"]) for e in trace if e["kind"] == "decision"]
    assert decisions[0][0] == "pipeline:route"
    assert 'grouped into {}:{service="db"}' in decisions[0][1]
    assert decisions[1] == ("pipeline:enqueue", "first notification: queued for discord")
    assert trace[0]["kind"] == "transition", "the firing transition comes first"


async def test_with_no_channel_the_trace_says_nothing_is_sent(db: object, clock: FakeClock, tmp_path: object) -> None:

    hub = build_hub(Config(), clock=clock, db=db)  # type: ignore[arg-type]
    alert_id = await fire(hub, "system_memory_high", 97, service="db")
    assert await groups_table(hub) == []
    [line] = await trace(hub, alert_id)
    assert line == "pipeline:route: matched route {}, but receiver 'default' has no channel: nothing is sent"
