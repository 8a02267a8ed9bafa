from __future__ import annotations

import httpx
import pytest

from alerthub.channels.discord import DiscordChannel, DiscordChannelConfig, fit_embeds
from alerthub.delivery.compose import render
from alerthub.errors import DeliveryError
from support.channel_samples import payload, snapshot
from support.standins import DiscordStandIn, Reply


def channel(url: str, **extra: object) -> tuple[DiscordChannel, DiscordChannelConfig]:
    cfg = DiscordChannelConfig.model_validate({"name": "discord", "type": "discord", "url": url, **extra})
    return DiscordChannel(cfg), cfg


async def test_sends_an_embed_and_gets_the_message_id(discord: DiscordStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(discord.url())
    result = await ch.send(render(payload(), cfg), http)
    assert result.external_id in discord.messages
    request = discord.requests[0]
    assert request.query == {"wait": ["true"]}
    embed = request.json()["embeds"][0]
    assert embed["color"] == 0xE74C3C
    assert embed["title"] == "[CRITICAL] CPU high — web-1"
    assert embed["url"] == "https://sentry.io/organizations/acme/issues/42/"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Value"] == "95.5" and fields["Threshold"] == "> 90" and fields["Labels"] == "host=web-1"
    assert fields["alerthub"] == "http://hub.test/alerts/7"


async def test_everyone_in_an_error_title_pings_nobody(discord: DiscordStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(discord.url())
    await ch.send(render(payload(snapshot(summary="boom @everyone @here <@&1>")), cfg), http)
    assert discord.requests[0].json()["allowed_mentions"]["parse"] == []
    assert discord.pings == []


async def test_configured_roles_are_the_only_pings(discord: DiscordStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(discord.url(), mention_roles=["555"])
    await ch.send(render(payload(snapshot(summary="@everyone")), cfg), http)
    assert discord.pings == ["role:555"]


async def test_the_stand_in_rejects_oversize_embeds_as_discord_does(
    discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    raw = {"embeds": [{"title": "x" * 300, "description": "y"}]}
    answer = await http.request("POST", discord.url(), json=raw, timeout=5)
    assert answer.status_code == 400


async def test_every_size_limit_is_kept_by_truncation(discord: DiscordStandIn, http: httpx.AsyncClient) -> None:
    huge = snapshot(summary="S" * 5000, **{f"label{i}": "v" * 1500 for i in range(40)})
    many = payload(*[snapshot(i, summary="T" * 400) for i in range(60)])
    ch, cfg = channel(discord.url())
    await ch.send(render(payload(huge), cfg), http)
    await ch.send(render(many, cfg), http)
    assert discord.statuses() == [200, 200]
    for request in discord.requests:
        body = request.json()
        assert len(body["content"]) <= 2000
        assert len(body["embeds"]) <= 10


def test_fit_embeds_caps_the_total_at_6000() -> None:
    embeds: list[dict[str, object]] = [
        {"title": "t" * 256, "description": "d" * 4096, "fields": [{"name": "n", "value": "v" * 1024}] * 5}
        for _ in range(3)
    ]
    fitted = fit_embeds(embeds)
    total = sum(
        len(str(e["title"]))
        + len(str(e.get("description", "")))
        + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))  # type: ignore[attr-defined]
        for e in fitted
    )
    assert 0 < total <= 6000


async def test_429_is_retryable_with_discords_retry_after(discord: DiscordStandIn, http: httpx.AsyncClient) -> None:
    discord.fail_next(
        Reply(
            429, {"message": "You are being rate limited.", "retry_after": 0.757, "global": False}, {"Retry-After": "1"}
        )
    )
    ch, cfg = channel(discord.url())
    with pytest.raises(DeliveryError) as caught:
        await ch.send(render(payload(), cfg), http)
    assert caught.value.retryable and caught.value.status == 429
    assert caught.value.retry_after == 0.757


async def test_5xx_is_retryable(discord: DiscordStandIn, http: httpx.AsyncClient) -> None:
    discord.fail_next(Reply(502, {"message": "Bad Gateway"}))
    ch, cfg = channel(discord.url())
    with pytest.raises(DeliveryError) as caught:
        await ch.send(render(payload(), cfg), http)
    assert caught.value.retryable and caught.value.status == 502


async def test_a_deleted_webhook_is_permanent(discord: DiscordStandIn, http: httpx.AsyncClient) -> None:
    discord.deleted = True
    ch, cfg = channel(discord.url())
    with pytest.raises(DeliveryError) as caught:
        await ch.send(render(payload(), cfg), http)
    assert not caught.value.retryable and caught.value.status == 404
    assert "no longer exists" in str(caught.value)


async def test_resolve_edits_the_first_message_red_to_green(discord: DiscordStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(discord.url())
    first = await ch.send(render(payload(), cfg), http)
    assert first.external_id is not None
    resolved = payload(snapshot(state="resolved"), status="resolved", reason="all alerts resolved")
    again = await ch.update(render(resolved, cfg), first.external_id, http)
    assert again.external_id == first.external_id
    assert discord.requests[-1].method == "PATCH"
    edited = discord.messages[first.external_id]["embeds"][0]
    assert edited["color"] == 0x2ECC71 and edited["title"].startswith("[Resolved]")


async def test_an_edit_of_a_deleted_message_posts_anew(discord: DiscordStandIn, http: httpx.AsyncClient) -> None:
    ch, cfg = channel(discord.url())
    result = await ch.update(render(payload(), cfg), "999", http)
    assert [r.method for r in discord.requests] == ["PATCH", "POST"]
    assert result.external_id in discord.messages


async def test_network_failure_is_retryable(http: httpx.AsyncClient) -> None:
    ch, cfg = channel("http://127.0.0.1:9/api/webhooks/1/x")
    with pytest.raises(DeliveryError) as caught:
        await ch.send(render(payload(), cfg), http)
    assert caught.value.retryable and caught.value.status is None


def test_describe_hides_the_token() -> None:
    ch, _ = channel("https://discord.com/api/webhooks/123/very-secret-token")
    assert "very-secret-token" not in str(ch.describe())


async def test_rate_limit_headers_tell_how_long_the_budget_is_spent(
    discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    ch, cfg = channel(discord.url())
    results = [await ch.send(render(payload(), cfg), http) for _ in range(5)]
    assert [r.wait for r in results[:4]] == [None] * 4
    assert results[4].wait is not None and 0 < results[4].wait <= 2.0
