"""The outbox contract end to end, in process: the real pipeline writes the rows, the worker sends
them to the Discord and SMTP stand-ins; the alert's life (fire, acknowledge, resolve) is one Discord
message edited in place and one email thread."""

from __future__ import annotations

import httpx
import pytest

from alerthub.config.models import Config, RuleConfig
from alerthub.delivery.worker import DeliveryWorker
from alerthub.hub import Hub
from alerthub.store import deliveries
from support.clock import FakeClock
from support.delivery_config import channels_config
from support.pipeline import clear, dispatcher, fire
from support.standins import DiscordStandIn, SMTPStandIn


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    base = channels_config(
        discord,
        smtp,
        receivers=[{"name": "ops", "channels": ["discord", "mail"]}],
        route={"receiver": "ops", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1m"},
    )
    rule = RuleConfig.model_validate({"name": "disk_full", "thresholds": {"critical": 90}})
    return base.model_copy(update={"rules": [rule]})


async def flush_and_send(hub: Hub, clock: FakeClock, worker: DeliveryWorker, http: httpx.AsyncClient) -> None:
    clock.advance(61)
    await dispatcher(hub).run_once()
    await worker.tick(http)


async def test_fire_acknowledge_resolve_is_one_conversation_per_channel(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    discord: DiscordStandIn,
    smtp: SMTPStandIn,
    http: httpx.AsyncClient,
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    await flush_and_send(hub, clock, worker, http)
    [message_id] = discord.messages
    assert discord.messages[message_id]["embeds"][0]["color"] == 0xE74C3C
    assert len(smtp.mails) == 1

    await hub.alerts.acknowledge(alert_id, "kim")
    await worker.tick(http)
    assert list(discord.messages) == [message_id]  # edited, not a new message
    assert discord.requests[-1].method == "PATCH"

    await clear(hub, "disk_full", host="web-1")
    await flush_and_send(hub, clock, worker, http)
    assert list(discord.messages) == [message_id]
    final = discord.messages[message_id]["embeds"][0]
    assert final["color"] == 0x2ECC71 and final["title"].startswith("[Resolved]")
    first, *replies = smtp.mails
    assert replies and all(r.message["In-Reply-To"] == first.message["Message-ID"] for r in replies)
    assert replies[-1].message["Subject"].startswith("Re: [Resolved]")
    trace = [e for e in (await hub.alerts.trace(alert_id)).history if e.kind.value == "delivery"]
    assert {e.detail["channel"] for e in trace} == {"discord", "mail"}
    assert all(e.detail["outcome"] == "sent" for e in trace)


async def test_the_acknowledged_message_quotes_what_the_person_wrote(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    discord: DiscordStandIn,
    smtp: SMTPStandIn,
    http: httpx.AsyncClient,
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    await flush_and_send(hub, clock, worker, http)
    [message_id] = discord.messages
    assert "rolling back" not in str(discord.messages[message_id])

    await hub.alerts.acknowledge(alert_id, "kim", "rolling back deploy 4812")
    await worker.tick(http)
    fields = {f["name"]: f["value"] for f in discord.messages[message_id]["embeds"][0]["fields"]}
    assert fields["Acknowledged by"] == "kim"
    assert fields["Comment"] == "rolling back deploy 4812"
    reply = smtp.mails[-1].message
    assert reply["Subject"].startswith("Re: ")
    assert "rolling back deploy 4812" in reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_an_alert_only_carried_again_gets_no_delivery_line_until_the_message_is_news_about_it(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    """A growing group's message lists every alert each time; the alert that was already told gets no
    line in its history for being carried again (in a storm, one a second), until a repeat tells it anew."""
    first = await fire(hub, "disk_full", 97.0, host="web-1")
    await flush_and_send(hub, clock, worker, http)
    second = await fire(hub, "disk_full", 95.0, host="web-2")
    await flush_and_send(hub, clock, worker, http)
    assert "web-1" in str(discord.requests[-1].json()) and "web-2" in str(discord.requests[-1].json())

    async def lines(alert_id: int) -> list[str]:
        history = (await hub.alerts.trace(alert_id)).history
        return sorted(
            f"{e.detail['channel']} #{e.detail['notification_id']}" for e in history if e.kind.value == "delivery"
        )

    async with hub.db.read() as conn:
        carrying = await deliveries.alert_ids(conn, [int(line.split("#")[1]) for line in await lines(second)])
    assert all(set(ids) == {first, second} for ids in carrying.values()), "the second message lists both"
    assert len(await lines(first)) == 2 and len(await lines(second)) == 2  # discord and mail, once each
    assert not set(await lines(first)) & set(await lines(second))

    clock.advance(4 * 3600)  # the repeat interval: news about both
    await flush_and_send(hub, clock, worker, http)
    assert len(await lines(first)) == 4 and len(await lines(second)) == 4
