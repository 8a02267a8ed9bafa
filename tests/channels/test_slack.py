from __future__ import annotations

import httpx
import pytest

from alerthub.channels.slack import SlackChannel, SlackChannelConfig
from alerthub.delivery.compose import render
from alerthub.errors import DeliveryError
from support.channel_samples import payload, snapshot
from support.standins import Reply, SlackStandIn


def channel(url: str) -> tuple[SlackChannel, SlackChannelConfig]:
    cfg = SlackChannelConfig(name="slack", type="slack", url=url)  # type: ignore[arg-type]
    return SlackChannel(cfg), cfg


async def test_sends_text_and_blocks(slack: SlackStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(slack.base_url + "/services/T0/B0/xyz")
    await ch.send(render(payload(), cfg), http)
    assert slack.statuses() == [200]
    body = slack.requests[0].json()
    assert body["text"] == "[CRITICAL] CPU high — web-1"
    assert body["blocks"][0]["type"] == "header"
    assert any(b["type"] == "context" and "http://hub.test/alerts/7" in str(b) for b in body["blocks"])


async def test_outside_text_cannot_ping_the_channel(slack: SlackStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(slack.base_url + "/services/x")
    await ch.send(render(payload(snapshot(summary="<!channel> & <!everyone>")), cfg), http)
    body = slack.requests[0].json()
    # Slack parses mentions in `text` and mrkdwn; the header is plain_text, shown as written.
    parsed = [body["text"]] + [b["text"]["text"] for b in body["blocks"] if b.get("text", {}).get("type") == "mrkdwn"]
    parsed += [f["text"] for b in body["blocks"] for f in b.get("fields", [])]
    assert body["blocks"][0]["text"]["type"] == "plain_text"
    assert not any("<!" in text for text in parsed)
    assert "&lt;!channel&gt; &amp; &lt;!everyone&gt;" in body["text"]


async def test_plain_text_error_is_permanent_and_reported(slack: SlackStandIn, http: httpx.AsyncClient) -> None:
    slack.fail_next(Reply(404, text="no_service"))
    ch, cfg = channel(slack.base_url + "/services/x")
    with pytest.raises(DeliveryError) as caught:
        await ch.send(render(payload(), cfg), http)
    assert not caught.value.retryable and "no_service" in str(caught.value)


async def test_429_honours_retry_after_header(slack: SlackStandIn, http: httpx.AsyncClient) -> None:
    slack.fail_next(Reply(429, headers={"Retry-After": "30"}, text="rate_limited"))
    ch, cfg = channel(slack.base_url + "/services/x")
    with pytest.raises(DeliveryError) as caught:
        await ch.send(render(payload(), cfg), http)
    assert caught.value.retryable and caught.value.retry_after == 30.0


async def test_long_titles_fit_the_header_block(slack: SlackStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(slack.base_url + "/services/x")
    await ch.send(render(payload(snapshot(summary="x" * 500)), cfg), http)
    assert slack.statuses() == [200]
