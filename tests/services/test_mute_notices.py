"""Mute notices as people receive them, over the Discord and SMTP stand-ins: the end of a night's mute
window sends one summary, and a silence about to end over firing alerts warns the receivers and its
creator (mentioned on Discord, a mail of their own beside the team's)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.domain.silence import LabelMatcher
from alerthub.hub import Hub
from alerthub.services.mute_notices import MuteNotices
from alerthub.services.paging import PageRoute
from alerthub.services.silences import SilenceDraft, SilenceService
from support.clock import FakeClock
from support.delivery_config import stand_in_channels
from support.pipeline import clear, dispatcher, fire
from support.standins import DiscordStandIn, SMTPStandIn

KIM = "333333333333333333"


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    return Config.model_validate(
        {
            "channels": stand_in_channels(discord, smtp),
            "people": [{"name": "kim", "discord_user_id": KIM, "email": "kim@example.com"}],
            "receivers": [{"name": "ops", "channels": ["discord", "mail"]}],
            "time_intervals": [
                {"name": "deploys", "time_intervals": [{"times": [{"start_time": "09:10", "end_time": "10:00"}]}]}
            ],
            "route": {
                "receiver": "ops",
                "group_by": ["service"],
                "group_wait": "0s",
                "group_interval": "1m",
                "routes": [{"matchers": ['service="api"'], "mute_time_intervals": ["deploys"]}],
            },
            "rules": [{"name": "api_down", "severity": "critical"}, {"name": "db_slow", "severity": "warning"}],
        }
    )


def notices(hub: Hub) -> MuteNotices:
    return MuteNotices(
        hub.db,
        hub.clock,
        hub.metrics,
        lambda: hub.pipeline.setup,
        hub.wake_delivery,
        lambda: (hub.oncall.roster, PageRoute.from_config(hub.config)),
    )


def posts(discord: DiscordStandIn) -> list[dict[str, Any]]:
    return [r.json() for r in discord.requests if r.method == "POST"]


async def test_a_silence_ending_warns_the_team_and_mentions_its_creator(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, smtp: SMTPStandIn, http: httpx.AsyncClient
) -> None:
    draft = SilenceDraft((LabelMatcher("service", "db"),), clock.now, clock.now + timedelta(hours=1), "kim", "upgrade")
    silence = await SilenceService(hub.db, hub.clock).save(draft)
    await fire(hub, "db_slow", service="db")
    await dispatcher(hub).run_once()
    await hub.delivery.tick(http)
    assert posts(discord) == [] and smtp.mails == []  # silenced

    clock.advance(minutes=46)
    assert await notices(hub).run_once() == 3
    await hub.delivery.tick(http)
    [post] = posts(discord)
    assert f"<@{KIM}>" in post["content"]
    assert post["allowed_mentions"]["users"] == [KIM]
    assert f"Ending soon: silence {silence.id} (kim: upgrade)" in str(post)
    assert sorted(m.rcpt_tos[0] for m in smtp.mails) == ["kim@example.com", "ops@example.com"]
    assert all("Ending soon: silence" in str(m.message["Subject"]) for m in smtp.mails)


async def an_outage_inside_the_window(hub: Hub, clock: FakeClock, day: int) -> None:
    """09:15-09:25 on `day` the API is down, inside the 09:10-10:00 window; then the clock stands just
    past the window's end."""
    clock.now = clock.now.replace(day=day, hour=9, minute=15)
    await fire(hub, "api_down", service="api")
    await dispatcher(hub).run_once()
    clock.advance(minutes=10)
    await clear(hub, "api_down", service="api")
    clock.advance(minutes=1)
    await dispatcher(hub).run_once()
    clock.now = clock.now.replace(hour=10, minute=0, second=10)


async def test_the_end_of_a_mute_window_reaches_the_team_once(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, smtp: SMTPStandIn, http: httpx.AsyncClient
) -> None:
    await an_outage_inside_the_window(hub, clock, 27)
    assert await notices(hub).run_once() == 2
    assert await notices(hub).run_once() == 0
    await hub.delivery.tick(http)
    [post] = posts(discord)
    assert "While muted by time interval 'deploys': 1 alerts fired, 1 resolved since" in str(post)
    [mail] = smtp.mails
    assert mail.rcpt_tos == ["ops@example.com"]
    assert "While muted by time interval 'deploys'" in str(mail.message["Subject"])


async def test_the_next_days_summary_is_a_new_message_not_an_edit(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, smtp: SMTPStandIn, http: httpx.AsyncClient
) -> None:
    for day in (27, 28):  # the same window on two days: Discord edits a thread in place, so each needs its own
        await an_outage_inside_the_window(hub, clock, day)
        assert await notices(hub).run_once() == 2
        await hub.delivery.tick(http)
    assert [r.method for r in discord.requests] == ["POST", "POST"]
    assert len(smtp.mails) == 2
