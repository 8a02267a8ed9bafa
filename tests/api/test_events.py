"""The live feed behind `GET /api/events`: committed changes reach subscribers, slow ones are told to
resync instead of growing without bound, and a closed stream unsubscribes."""

from __future__ import annotations

import asyncio

import httpx
import orjson

from alerthub.api.routes import events
from alerthub.services.live import QUEUE_SIZE, LiveFeed


def feed_of(client: httpx.AsyncClient) -> LiveFeed:
    feed: LiveFeed = client._transport.app.state.live  # type: ignore[attr-defined]
    return feed


async def test_a_new_signal_reaches_the_stream(client: httpx.AsyncClient) -> None:
    feed = feed_of(client)
    queue = feed.subscribe()
    assert queue is not None
    stream = events._stream(feed, queue)
    assert await anext(stream) == b"retry: 3000\nevent: hello\ndata: {}\n\n"
    body = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 95.5, "additional_info": "<b>x</b>"}}
    assert (await client.post("/api/alerts/send", json=body)).status_code == 202
    message = await asyncio.wait_for(anext(stream), 5)
    head, _, data = message.partition(b"data: ")
    assert head == b"event: alert\n"
    alert = orjson.loads(data)
    assert (alert["rule_name"], alert["state"], alert["annotations"]["summary"]) == (
        "system_memory_high",
        "firing",
        "<b>x</b>",
    )
    await client.post(f"/api/alerts/{alert['id']}/ack", json={})
    acked = orjson.loads((await asyncio.wait_for(anext(stream), 5)).partition(b"data: ")[2])
    assert acked["state"] == "acknowledged"
    await stream.aclose()
    assert feed.subscribers == 0


async def test_a_subscriber_that_falls_behind_is_told_to_resync(client: httpx.AsyncClient) -> None:
    feed = feed_of(client)
    queue = feed.subscribe()
    assert queue is not None
    for i in range(QUEUE_SIZE // 50 + 2):
        alerts = [{"labels": {"alertname": "Flood", "n": f"{i}-{j}"}} for j in range(60)]
        assert (await client.post("/api/v2/alerts", json=alerts)).status_code == 200
    items = [queue.get_nowait() for _ in range(queue.qsize())]
    assert len(items) <= QUEUE_SIZE
    assert None in items, "the overflow left a resync marker instead of dropping silently"


async def test_subscribers_are_bounded() -> None:
    feed = LiveFeed(max_subscribers=2)
    assert feed.subscribe() is not None and feed.subscribe() is not None
    assert feed.subscribe() is None
