from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.domain.notification import NotificationStatus
from alerthub.hub import Hub
from support.clock import FakeClock
from support.outbox_rows import add_alert, enqueue, payload, row
from support.standins import DiscordStandIn, Reply


@pytest.fixture
def discord(clock: FakeClock) -> Iterator[DiscordStandIn]:
    server = DiscordStandIn(now=lambda: clock().timestamp())
    yield server
    server.close()


@pytest.fixture
def config(discord: DiscordStandIn) -> Config:
    return Config.model_validate({"channels": [{"name": "discord", "type": "discord", "url": discord.url()}]})


async def deliver(hub: Hub) -> None:
    async with httpx.AsyncClient() as http:
        await hub.delivery.tick(http)


async def test_a_permanent_failure_is_visible_in_the_log_and_in_metrics(
    hub: Hub, client: httpx.AsyncClient, clock: FakeClock, discord: DiscordStandIn
) -> None:
    discord.fail_next(Reply(400, {"message": "Invalid Form Body", "code": 50035}))
    alert = await add_alert(hub.db, clock())
    row_id = await enqueue(hub.db, clock(), "discord", payload(alert))
    await deliver(hub)
    listed = (await client.get("/api/notifications", params={"status": "failed"})).json()
    [entry] = listed["notifications"]
    assert entry["id"] == row_id and entry["status"] == "failed" and entry["attempts"] == 1
    assert entry["last_error"] == "HTTP 400: Invalid Form Body" and entry["alert_ids"] == [alert.id]
    metrics = (await client.get("/metrics")).text
    assert 'alerthub_notifications_total{channel="discord",status="failed"} 1.0' in metrics
    assert 'alerthub_notification_failures_total{channel="discord",reason="permanent"} 1.0' in metrics
    trace = (await client.get(f"/api/alerts/{alert.id}/trace")).json()["trace"]
    assert any(e["kind"] == "delivery" and "failed" in e["reason"] for e in trace)


async def test_retry_puts_a_failed_row_back_and_it_is_sent(
    hub: Hub, client: httpx.AsyncClient, clock: FakeClock, discord: DiscordStandIn
) -> None:
    discord.fail_next(Reply(403, {"message": "Missing Access"}))
    row_id = await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    await deliver(hub)
    answer = await client.post(f"/api/notifications/{row_id}/retry")
    assert answer.status_code == 202 and answer.json()["status"] == "pending"
    assert hub.wake_delivery.is_set()
    await deliver(hub)
    assert (await row(hub.db, row_id)).status is NotificationStatus.SENT
    again = await client.post(f"/api/notifications/{row_id}/retry")
    assert again.status_code == 409 and "only a failed one" in again.json()["detail"]
    assert (await client.post("/api/notifications/999999/retry")).status_code == 404


async def test_newest_first_failures_first_and_cursor(
    hub: Hub, client: httpx.AsyncClient, clock: FakeClock, discord: DiscordStandIn
) -> None:
    ids = [await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock()))) for _ in range(5)]
    discord.fail_next(Reply(404, {"message": "Unknown Webhook"}))
    await deliver(hub)  # the oldest fails, the rest are sent
    newest = (await client.get("/api/notifications")).json()["notifications"]
    assert [n["id"] for n in newest] == ids[::-1]
    first = (await client.get("/api/notifications", params={"failures_first": "true", "limit": 2})).json()
    assert [n["id"] for n in first["notifications"]] == [ids[0], ids[4]]
    rest = await client.get("/api/notifications", params={"failures_first": "true", "cursor": first["next_cursor"]})
    assert [n["id"] for n in rest.json()["notifications"]] == [ids[3], ids[2], ids[1]]
    assert rest.json()["next_cursor"] is None


async def test_bad_filters_are_4xx(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/notifications", params={"status": "lost"})).status_code == 422
    bad = await client.get("/api/notifications", params={"cursor": "!!!"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "query.cursor"
