"""The express path (pipeline/express.py): a row a running worker can send now is written claimed by it
and sent the moment its transaction commits, with no claim in between; a process that dies between the
commit and the send loses nothing, because the row's lease runs out and a claim sends it once."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from alerthub.config.models import Config, RuleConfig
from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.notification import Notification
from alerthub.hub import Hub
from alerthub.store import deliveries
from alerthub.store.outbox import Claim
from alerthub.store.tables import notification
from support.clock import FakeClock
from support.delivery_config import channels_config
from support.pipeline import fire
from support.standins import DiscordStandIn, SMTPStandIn


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    base = channels_config(
        discord,
        smtp,
        receivers=[{"name": "ops", "channels": ["discord"]}],
        route={"receiver": "ops", "group_by": ["host"], "group_wait": "0s"},
    )
    return base.model_copy(update={"rules": [RuleConfig.model_validate({"name": "disk_full"})]})


async def until(check: Any, what: str) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def rows(hub: Hub) -> list[Any]:
    async with hub.db.read() as conn:
        return list((await conn.execute(select(notification).order_by(notification.c.id))).all())


async def test_a_row_the_running_worker_can_send_goes_out_without_a_claim(
    hub: Hub, worker: DeliveryWorker, discord: DiscordStandIn, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    claimed: list[Notification] = []
    real_claim = deliveries.claim

    async def counting_claim(*args: Any, **kwargs: Any) -> list[Notification]:
        found = await real_claim(*args, **kwargs)
        claimed.extend(found)
        return found

    monkeypatch.setattr(deliveries, "claim", counting_claim)
    assert worker.claims(["discord"], clock()) == {}  # not running: rows are left to the loop's claims
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await until(lambda: worker.claims(["discord"], clock()), "the worker to run")
        await fire(hub, "disk_full", host="web-1")
        await until(lambda: len(discord.messages) == 1, "the message")
    finally:
        stop.set()
        await running
    [row] = await rows(hub)
    assert (row.status, row.attempts) == ("sent", 1)
    assert claimed == []  # the delivery loop never had to claim it


class DiesAfterCommit:
    """A process that writes rows under its claim and dies before it sends them."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def claims(self, channels: Collection[str], now: datetime) -> dict[str, Claim]:
        return {name: Claim("gone:1", now + Config().delivery.lease) for name in channels}

    def take(self, rows: Sequence[Notification]) -> None:
        return None


async def test_a_process_that_dies_between_commit_and_send_loses_nothing_and_sends_once(
    hub: Hub, worker: DeliveryWorker, discord: DiscordStandIn, clock: FakeClock, http: httpx.AsyncClient
) -> None:
    hub.pipeline.dispatcher.flusher.express = DiesAfterCommit(clock)
    await fire(hub, "disk_full", host="web-1")
    [row] = await rows(hub)
    assert (row.status, row.claimed_by) == ("sending", "gone:1")
    assert await worker.tick(http) == 0  # its lease still holds: nobody else may send it yet
    assert discord.messages == {}
    clock.advance(Config().delivery.lease.total_seconds() + 1)
    assert await worker.tick(http) == 1
    assert await worker.tick(http) == 0
    assert len(discord.messages) == 1
    [row] = await rows(hub)
    assert (row.status, row.attempts) == ("sent", 2)
