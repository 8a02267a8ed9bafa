"""A storm of 500 alerts over 10 services, from ingest through the real pipeline to the Discord
stand-in (whose rate limit reads the test's clock): a handful of grouped messages, no 429 left
unanswered, every alert accounted for in a sent notification."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from alerthub.config.models import Config, RuleConfig
from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.signal import Signal
from alerthub.hub import Hub
from alerthub.store.tables import alert, notification, notification_alert
from support.clock import FakeClock
from support.delivery_config import channels_config
from support.pipeline import dispatcher
from support.standins import DiscordStandIn, SMTPStandIn


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    base = channels_config(
        discord,
        smtp,
        receivers=[{"name": "ops", "channels": ["discord"]}],
        route={"receiver": "ops", "group_by": ["service"], "group_wait": "10s", "group_interval": "1m"},
    )
    rule = RuleConfig.model_validate({"name": "api_errors", "thresholds": {"critical": 1}})
    return base.model_copy(update={"rules": [rule]})


async def test_500_alerts_over_10_services(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    for start in range(0, 500, 50):
        signals = [
            Signal("api_errors", "test", value=5, labels={"service": f"svc{i % 10}", "instance": f"i{i}"})
            for i in range(start, start + 50)
        ]
        await hub.ingest.ingest(signals)
    for _ in range(30):  # a minute of the worker's life, in 2 s steps
        clock.advance(2)
        await dispatcher(hub).run_once()
        await worker.tick(http)
    assert 429 not in discord.statuses()
    assert 1 <= len(discord.requests) <= 10, len(discord.requests)
    async with hub.db.read() as conn:
        all_alerts = set((await conn.execute(select(alert.c.id))).scalars())
        sent = (
            select(notification_alert.c.alert_id)
            .join(notification, notification.c.id == notification_alert.c.notification_id)
            .where(notification.c.status == "sent", notification.c.channel == "discord")
        )
        covered = set((await conn.execute(sent)).scalars())
        statuses = set((await conn.execute(select(notification.c.status))).scalars())
    assert len(all_alerts) == 500 and covered == all_alerts
    assert statuses == {"sent"}
