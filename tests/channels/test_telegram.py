from __future__ import annotations

import httpx
import pytest

from alerthub.channels.telegram import TelegramChannel, TelegramChannelConfig, truncate_html
from alerthub.delivery.compose import render
from alerthub.errors import DeliveryError
from support.channel_samples import payload, snapshot
from support.standins import TelegramStandIn


def channel(
    server: TelegramStandIn, token: str | None = None, **extra: object
) -> tuple[TelegramChannel, TelegramChannelConfig]:
    cfg = TelegramChannelConfig.model_validate(
        {
            "name": "tg",
            "type": "telegram",
            "bot_token": token or server.token,
            "chat_id": -100123,
            "base_url": server.base_url,
            **extra,
        }
    )
    return TelegramChannel(cfg), cfg


async def test_html_message_with_outside_markup_escaped(telegram: TelegramStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(telegram)
    result = await ch.send(render(payload(snapshot(summary="<b>bold</i> & <script>")), cfg), http)
    assert telegram.statuses() == [200]
    assert result.external_id == "1"
    sent = telegram.sent[0]
    assert sent["chat_id"] == "-100123" and sent["parse_mode"] == "HTML"
    assert "&lt;b&gt;bold&lt;/i&gt; &amp; &lt;script&gt;" in sent["text"]


async def test_a_huge_message_is_cut_to_4096_and_stays_valid_html(
    telegram: TelegramStandIn, http: httpx.AsyncClient
) -> None:
    many = payload(*[snapshot(i, summary="<x> " * 100) for i in range(20)])
    ch, cfg = channel(telegram)
    await ch.send(render(many, cfg), http)
    assert telegram.statuses() == [200]
    assert len(telegram.sent[0]["text"]) <= 4096


def test_truncate_html_closes_open_tags_and_drops_half_entities() -> None:
    text = "<b>" + "a" * 50 + "&amp;" * 20 + "<code>" + "c" * 100
    cut = truncate_html(text, 120)
    assert len(cut) <= 120 and cut.endswith("</b>")
    assert not cut.rstrip("</b>code…").endswith("&")


async def test_429_carries_parameters_retry_after(telegram: TelegramStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(telegram)
    for _ in range(3):
        await ch.send(render(payload(), cfg), http)
    with pytest.raises(DeliveryError) as caught:
        await ch.send(render(payload(), cfg), http)
    assert caught.value.status == 429 and caught.value.retryable
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1


async def test_wrong_token_is_permanent_and_not_leaked(telegram: TelegramStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(telegram, token="999:WRONG")
    with pytest.raises(DeliveryError) as caught:
        await ch.send(render(payload(), cfg), http)
    assert not caught.value.retryable
    assert "999:WRONG" not in str(caught.value) and "999:WRONG" not in str(ch.describe())


async def test_follow_up_replies_to_the_first_message(telegram: TelegramStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(telegram)
    first = await ch.send(render(payload(), cfg), http)
    assert first.external_id is not None
    resolved = payload(snapshot(state="resolved"), status="resolved", reason="all alerts resolved")
    await ch.update(render(resolved, cfg), first.external_id, http)
    assert telegram.sent[1]["reply_parameters"]["message_id"] == 1
    assert "Resolved" in telegram.sent[1]["text"]
