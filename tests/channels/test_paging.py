"""A page over each channel type reaches the people it is for, and nobody else: a Slack mention of the
paged users only (outside text still pings nobody), Telegram messages to each person's own chat instead
of the channel's, Apprise notifications to the person's own URLs."""

from __future__ import annotations

from dataclasses import replace

import httpx

from alerthub.channels.message import RenderedMessage
from alerthub.channels.slack import SlackChannel, SlackChannelConfig
from alerthub.channels.telegram import TelegramChannel, TelegramChannelConfig
from alerthub.config.models import ChannelEntry
from alerthub.delivery.compose import render
from support.channel_samples import payload, snapshot
from support.standins import Receiver, SlackStandIn, TelegramStandIn


def page(config: ChannelEntry, *recipients: str, people: tuple[str, ...] = ("alice",)) -> RenderedMessage:
    paged = replace(
        payload(snapshot(summary="<!channel> disk full")),
        reason="escalation",
        paged=people,
        page_note="step 2 of 3: no acknowledgement after 10m",
    )
    return replace(render(paged, config), recipients=recipients)


async def test_slack_mentions_exactly_the_paged_users(slack: SlackStandIn, http: httpx.AsyncClient) -> None:
    config = SlackChannelConfig(name="slack", type="slack", url=slack.base_url + "/services/x")  # type: ignore[arg-type]
    await SlackChannel(config).send(page(config, "U024BE7LH", "W012A3CDE", people=("alice", "bob")), http)
    body = slack.requests[0].json()
    pings = sorted(m for m in slack.mentions(body) if not m.startswith("http"))  # links are not pings
    assert pings == ["@U024BE7LH", "@U024BE7LH", "@W012A3CDE", "@W012A3CDE"]
    assert body["text"].startswith("<@U024BE7LH> <@W012A3CDE> Page: [CRITICAL]")
    assert "Paging alice, bob. step 2 of 3: no acknowledgement after 10m" in body["blocks"][1]["text"]["text"]


async def test_telegram_sends_to_each_paged_persons_own_chat(
    telegram: TelegramStandIn, http: httpx.AsyncClient
) -> None:
    config = TelegramChannelConfig.model_validate(
        {
            "name": "tg",
            "type": "telegram",
            "bot_token": telegram.token,
            "chat_id": "-100200",
            "base_url": telegram.base_url,
        }
    )
    await TelegramChannel(config).send(page(config, "4242"), http)
    [sent] = telegram.sent
    assert sent["chat_id"] == "4242"  # the person's chat, not the channel's group
    assert "<b>Paging alice. step 2 of 3: no acknowledgement after 10m</b>" in sent["text"]
    await TelegramChannel(config).send(render(payload(), config), http)
    assert telegram.sent[-1]["chat_id"] == "-100200"  # anything else still goes to the group


async def test_apprise_notifies_the_persons_own_urls(receiver: Receiver) -> None:
    from alerthub.channels.apprise import AppriseChannel, AppriseChannelConfig

    team = f"json://127.0.0.1:{receiver.server.server_address[1]}/team"
    own = f"json://127.0.0.1:{receiver.server.server_address[1]}/alice-phone"
    config = AppriseChannelConfig.model_validate({"name": "phones", "type": "apprise", "urls": [team]})
    async with httpx.AsyncClient() as http:
        await AppriseChannel(config).send(page(config, own), http)
    assert [r.path for r in receiver.requests] == ["/alice-phone"]
    assert "Paging alice" in receiver.requests[0].json()["message"]
