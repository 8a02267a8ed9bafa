"""A dependency's cause names what it holds back in the message people read ("also affected"), on
Discord and by email, in English and Korean."""

from __future__ import annotations

import httpx
import pytest

from alerthub.config.assets import AssetConfig, DependencyConfig
from alerthub.config.models import Config
from alerthub.delivery.worker import DeliveryWorker
from alerthub.hub import Hub
from support.clock import FakeClock
from support.delivery_config import channels_config
from support.pipeline import dispatcher, fire
from support.standins import DiscordStandIn, SMTPStandIn


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    base = channels_config(
        discord,
        smtp,
        receivers=[{"name": "ops", "channels": ["discord", "mail"]}],
        route={"receiver": "ops", "group_by": ["alertname"], "group_wait": "1m", "group_interval": "5m"},
    )
    shop = AssetConfig(name="shop", matchers=['service="Shop API"', 'project="shop-frontend"'])
    outage = DependencyConfig(
        asset="shop", cause=['alertname="hetrixtools_downtime"'], suppress=['alertname=~"sentry_.*"']
    )
    return base.model_copy(update={"assets": [shop], "dependencies": [outage]})


async def test_the_cause_names_the_held_back_alerts_on_discord_and_by_mail(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    discord: DiscordStandIn,
    smtp: SMTPStandIn,
    http: httpx.AsyncClient,
) -> None:
    await fire(hub, "hetrixtools_downtime", service="Shop API")
    await fire(hub, "sentry_error_rate", value=57, project="shop-frontend")
    clock.advance(61)
    await dispatcher(hub).run_once()
    await worker.tick(http)
    [message] = discord.messages.values()  # the Sentry spike paged nobody
    fields = {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}
    assert fields["Also affected"] == "1 held back while this fires: sentry_error_rate — shop-frontend"
    [mail] = smtp.mails
    text = mail.message.get_body(("plain",))
    assert text is not None and "sentry_error_rate — shop-frontend" in text.get_content()
