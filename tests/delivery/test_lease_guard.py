"""A worker never starts a send that could outlast its lease: past the lease another instance may claim
the row, and both would send it. Each Discord request here takes 15 s of the test's clock (a slow
service), so a pass of five claimed rows cannot finish within a 60 s lease."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry

from alerthub.config.models import Config
from alerthub.delivery.delivery_metrics import DeliveryMetrics
from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.notification import NotificationStatus
from alerthub.hub import Hub
from support.clock import FakeClock
from support.delivery_config import channels_config
from support.outbox_rows import add_alert, enqueue, payload, row
from support.standins import DiscordStandIn, Reply, Request, SMTPStandIn

SEND_SECONDS = 15


class SlowDiscord(DiscordStandIn):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(now=lambda: clock().timestamp())
        self.clock = clock

    def answer(self, request: Request) -> Reply:
        self.clock.advance(SEND_SECONDS)
        return super().answer(request)


@pytest.fixture
def discord(clock: FakeClock) -> Iterator[DiscordStandIn]:
    server = SlowDiscord(clock)
    yield server
    server.close()


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    return channels_config(discord, smtp, lease="60s")


async def test_a_send_that_could_outlast_the_lease_is_left_for_the_next_claim(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    ids = [
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock(), labels={"host": f"h{i}"})))
        for i in range(5)
    ]
    claimed_at = clock()
    await worker.tick(http)
    # 15, 30, 45 and 60 s: the fifth send would start at 60 s + a 10 s timeout, past the 60 s lease.
    assert len(discord.posted()) == 4
    last = await row(hub.db, ids[-1])
    assert last.status is NotificationStatus.SENDING and last.claimed_by == worker.worker_id
    assert (clock() - claimed_at).total_seconds() == 4 * SEND_SECONDS

    # Another instance takes it over once the lease has run out, and it is sent once in all.
    other = DeliveryWorker(hub.config, hub.db, clock, DeliveryMetrics(CollectorRegistry()), rand=lambda: 1.0)
    clock.advance(1)
    await other.tick(http)
    await worker.tick(http)
    assert len(discord.posted()) == 5
    statuses = [(await row(hub.db, i)).status for i in ids]
    assert statuses == [NotificationStatus.SENT] * 5
    assert (await row(hub.db, ids[-1])).attempts == 2
