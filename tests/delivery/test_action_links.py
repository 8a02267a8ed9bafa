"""Every message about an open alert carries one-click Acknowledge / Resolve / Silence 1h links and the
rule's runbook, on every channel; a reader uses the link from the message itself: opening it changes
nothing, its button acts, and the alert's history names the channel it came from."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from pydantic import ValidationError

from alerthub.config.models import Config, RuleConfig
from alerthub.delivery.action_links import ActionLinker
from alerthub.delivery.compose import Renderer, render
from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.action_token import Action, ActionTokenCodec
from alerthub.domain.notification import AlertSnapshot, NotificationPayload
from alerthub.errors import ExpiredError
from alerthub.hub import Hub, build_hub
from alerthub.sources.seed import parse_send
from alerthub.store.database import Database
from support.clock import FakeClock
from support.delivery_config import channels_config
from support.pipeline import dispatcher, fire
from support.standins import DiscordStandIn, SMTPStandIn

RUNBOOK = "https://runbooks.example/disk-full"
LINK = re.compile(r"\((http://hub\.test/actions/(ack|resolve|silence)/[A-Za-z0-9._-]+)\)")


def _config(discord: DiscordStandIn, smtp: SMTPStandIn, **server: object) -> Config:
    base = channels_config(
        discord,
        smtp,
        receivers=[{"name": "ops", "channels": ["discord", "mail"]}],
        route={"receiver": "ops", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1m"},
    )
    rule = RuleConfig.model_validate({"name": "disk_full", "thresholds": {"critical": 90}, "runbook_url": RUNBOOK})
    return base.model_copy(
        update={"rules": [rule], "server": base.server.model_copy(update={"public_url": "http://hub.test", **server})}
    )


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    return _config(discord, smtp)


async def send_all(hub: Hub, clock: FakeClock, worker: DeliveryWorker, http: httpx.AsyncClient) -> None:
    clock.advance(61)
    await dispatcher(hub).run_once()
    await worker.tick(http)


def discord_links(discord: DiscordStandIn) -> dict[str, str]:
    description = discord.requests[-1].json()["embeds"][0]["description"]
    return {action: url for url, action in LINK.findall(description)}


async def test_a_firing_alert_is_acknowledged_from_the_discord_message(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    discord: DiscordStandIn,
    smtp: SMTPStandIn,
    http: httpx.AsyncClient,
    client: httpx.AsyncClient,
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    await send_all(hub, clock, worker, http)
    description = discord.requests[-1].json()["embeds"][0]["description"]
    assert f"[Runbook]({RUNBOOK})" in description
    links = discord_links(discord)
    assert set(links) == {"ack", "resolve", "silence"}
    mail = smtp.mails[-1].message
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for action in ("ack", "resolve", "silence"):
        assert f'href="http://hub.test/actions/{action}/' in html and f"http://hub.test/actions/{action}/" in text
    assert RUNBOOK in html and RUNBOOK in text

    path = links["ack"].removeprefix("http://hub.test")
    for _ in range(2):  # a chat preview fetches the link, then the reader opens it
        page = await client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200 and '<form method="post">' in page.text
    assert (await client.get(f"/api/alerts/{alert_id}")).json()["state"] == "firing"
    assert (await client.post(path)).status_code == 200
    detail = (await client.get(f"/api/alerts/{alert_id}")).json()
    assert detail["state"] == "acknowledged"
    assert any(event["actor"] == "user:channel:discord via link" for event in detail["history"])

    await worker.tick(http)  # the acknowledgement edits the message: no Acknowledge link any more
    assert discord.requests[-1].method == "PATCH"
    assert set(discord_links(discord)) == {"resolve", "silence"}
    resolve = links["resolve"].removeprefix("http://hub.test")
    tampered = resolve[:-2] + ("xx" if not resolve.endswith("xx") else "yy")
    assert (await client.post(tampered)).status_code == 403


async def test_links_can_be_turned_off(
    discord: DiscordStandIn, smtp: SMTPStandIn, clock: FakeClock, db: Database, http: httpx.AsyncClient
) -> None:
    hub = build_hub(_config(discord, smtp, action_links=False), clock=clock, db=db)
    await fire(hub, "disk_full", 97.0, host="web-1")
    await send_all(hub, clock, hub.delivery, http)
    assert discord.requests and all(b"/actions/" not in r.body for r in discord.requests)
    assert smtp.mails and all(b"/actions/" not in m.content for m in smtp.mails)
    assert RUNBOOK in discord.requests[-1].json()["embeds"][0]["description"]  # the runbook stays


def snapshot(state: str, **annotations: str) -> AlertSnapshot:
    return AlertSnapshot(
        id=7,
        fingerprint="f",
        rule_name="disk_full",
        state=state,
        severity="critical",
        value=97.0,
        labels={"host": "web-1"},
        annotations=annotations,
        source="test",
        first_seen="2026-11-27T09:00:00+00:00",
        last_seen="2026-11-27T09:00:00+00:00",
        count=1,
        episode=3,
    )


def payload(*alerts: AlertSnapshot, reason: str = "first notification") -> NotificationPayload:
    status = "firing" if any(a.state == "firing" for a in alerts) else alerts[0].state
    return NotificationPayload("ops", "g", status, reason, {}, {}, {}, alerts, external_url="http://hub.test")


def test_each_link_is_a_signed_grant_that_expires(config: Config, clock: FakeClock) -> None:
    codec = ActionTokenCodec("s" * 40)
    linker = ActionLinker(codec, timedelta(hours=24), clock)
    message = render(payload(snapshot("firing")), config.channels[0], linker=linker)
    grants = [codec.decode(link.url.rsplit("/", 1)[1], clock().timestamp()) for link in message.alerts[0].actions]
    assert [g.action for g in grants] == [Action.ACK, Action.RESOLVE, Action.SILENCE]
    assert {(g.alert_id, g.episode, g.person) for g in grants} == {(7, 3, "channel:discord")}
    with pytest.raises(ExpiredError):
        codec.decode(message.alerts[0].actions[0].url.rsplit("/", 1)[1], (clock() + timedelta(hours=24)).timestamp())


def test_only_a_channel_with_buttons_that_need_them_gets_signed_button_refs(config: Config, clock: FakeClock) -> None:
    """Telegram's buttons carry a short signed ref (64 bytes); no other channel uses one, so none is made."""
    codec = ActionTokenCodec("s" * 40)
    linker = ActionLinker(codec, timedelta(hours=24), clock)
    telegram = {"name": "tg", "type": "telegram", "bot_token": "1:x", "chat_id": "-1"}
    with_buttons = Config.model_validate({"channels": [{**telegram, "buttons": True}]}).channels[0]
    without = Config.model_validate({"channels": [telegram]}).channels[0]
    refs = [link.ref for link in render(payload(snapshot("firing")), with_buttons, linker=linker).alerts[0].actions]
    offered = (Action.ACK, Action.RESOLVE, Action.SILENCE)
    grants = [
        codec.check_button(a.value, ref or "", "alice", clock().timestamp())
        for a, ref in zip(offered, refs, strict=True)
    ]
    assert [(g.alert_id, g.episode, g.action) for g in grants] == [(7, 3, a) for a in offered]
    for channel in (without, config.channels[0], config.channels[1]):  # Telegram without buttons, Discord, email
        actions = render(payload(snapshot("firing")), channel, linker=linker).alerts[0].actions
        assert len(actions) == 3 and all(link.ref is None for link in actions)


def test_messages_within_a_minute_carry_the_same_links_and_a_later_one_new_links(
    config: Config, clock: FakeClock
) -> None:
    """A storm re-sends a growing group every group_interval: its alerts' links are made once a minute,
    and each still works for the whole ttl less at most that minute."""
    codec = ActionTokenCodec("s" * 40)
    linker = ActionLinker(codec, timedelta(hours=24), clock)
    clock.advance(seconds=7)

    def links() -> list[str]:
        return [
            link.url
            for link in render(payload(snapshot("firing")), config.channels[0], linker=linker).alerts[0].actions
        ]

    first, full_term = links(), (clock() + timedelta(hours=24)).timestamp()
    clock.advance(seconds=50)
    assert links() == first
    expires = codec.decode(first[0].rsplit("/", 1)[1], clock().timestamp()).expires
    assert full_term - 60 < expires <= full_term
    clock.advance(seconds=10)
    later = links()
    assert later != first
    assert codec.decode(later[0].rsplit("/", 1)[1], clock().timestamp()).expires == expires + 60


def test_a_short_lived_link_keeps_its_second(config: Config, clock: FakeClock) -> None:
    codec = ActionTokenCodec("s" * 40)
    linker = ActionLinker(codec, timedelta(minutes=5), clock)
    made = render(payload(snapshot("firing")), config.channels[0], linker=linker).alerts[0].actions[0].token
    assert codec.decode(made, clock().timestamp()).expires == int((clock() + timedelta(minutes=5)).timestamp())
    clock.advance(seconds=1)
    again = render(payload(snapshot("firing")), config.channels[0], linker=linker).alerts[0].actions[0].token
    assert codec.decode(again, clock().timestamp()).expires == int((clock() + timedelta(minutes=5)).timestamp())


def test_only_open_alerts_offer_actions_and_tests_none(config: Config, clock: FakeClock) -> None:
    linker = ActionLinker(ActionTokenCodec("s" * 40), timedelta(hours=1), clock)
    labels = [
        [link.label for link in v.actions]
        for v in render(
            payload(snapshot("acknowledged"), snapshot("resolved")), config.channels[0], linker=linker
        ).alerts
    ]
    assert labels == [["Resolve", "Silence 1h"], []]
    tested = render(payload(snapshot("firing"), reason="test"), config.channels[0], linker=linker)
    assert tested.alerts[0].actions == () and "/actions/" not in tested.body


def test_an_alerts_own_runbook_wins_and_a_bad_one_is_no_link(config: Config) -> None:
    own = render(payload(snapshot("firing", runbook_url="https://wiki.example/own")), config.channels[0])
    assert own.alerts[0].runbook_url == "https://wiki.example/own"
    broken = render(payload(snapshot("firing", runbook="https://x/><!channel>")), config.channels[0])
    assert broken.alerts[0].runbook_url is None


def test_a_rule_runbook_must_be_a_web_url() -> None:
    with pytest.raises(ValidationError, match="runbook_url"):
        RuleConfig.model_validate({"name": "r", "runbook_url": "javascript:alert(1)"})


def test_the_seed_monitors_issue_and_dashboard_urls_are_the_source_link(config: Config) -> None:
    issue = "https://sentry.io/organizations/shop/issues/4711/"
    sentry_seed = {
        "rule_name": "sentry_error_rate",
        "metric_data": {"metric_value": 57, "sentry_data": {"project": "shop-frontend", "issue_url": issue}},
    }
    dashboard_seed = {
        "rule_name": "sentry_error_rate",
        "metric_data": {"metric_value": 57, "dashboard_url": "https://sentry.io/organizations/shop/dashboard/"},
    }
    for body, url in ((sentry_seed, issue), (dashboard_seed, "https://sentry.io/organizations/shop/dashboard/")):
        message = render(payload(snapshot("firing", **parse_send(body).annotations)), config.channels[0])
        assert message.alerts[0].source_url == url
        assert f"[Source]({url})" in message.body


def test_a_message_for_several_firing_alerts_offers_to_acknowledge_them_all(config: Config, clock: FakeClock) -> None:
    """The message names its outbox row in one more link, acting as whom it went to (the paged person);
    a message with one firing alert, a test, and a row the sender does not offer it for have none (each
    alert's own links do)."""
    codec = ActionTokenCodec("s" * 40)
    linker = ActionLinker(codec, timedelta(hours=24), clock)
    discord = Renderer(config.channels[0])
    other = replace(snapshot("firing"), id=8)
    page = replace(payload(snapshot("firing"), other, reason="escalation"), paged=("alice",), page_note="step 1")
    first, *rest = discord.render(page, "k", linker, row_id=41).links
    assert first.label == "Acknowledge all 2" and first.action == "ack_all" and first.ref is None
    grant = codec.decode(first.url.rsplit("/", 1)[1], clock().timestamp())
    assert (grant.action, grant.message, grant.alert_id, grant.person) == (Action.ACK_ALL, 41, 0, "alice")
    assert [link.action for link in rest if link.action] == ["ack", "resolve", "silence"]  # the first alert's
    group = discord.render(payload(snapshot("firing"), other), "k", linker, row_id=42).links[0]
    assert codec.decode(group.url.rsplit("/", 1)[1], clock().timestamp()).person == "channel:discord"
    acknowledged = replace(page, alerts=(snapshot("firing"), replace(other, state="acknowledged")))
    for message in (
        discord.render(page, "k", linker),  # no row: a mute's summary, a notice
        discord.render(acknowledged, "k", linker, row_id=41),
        discord.render(replace(page, reason="test"), "k", linker, row_id=41),
    ):
        assert all(link.action != "ack_all" for link in message.links)
    telegram = {"name": "tg", "type": "telegram", "bot_token": "1:x", "chat_id": "-1", "buttons": True}
    on_telegram = Renderer(Config.model_validate({"channels": [telegram]}).channels[0]).render(
        page, "k", linker, row_id=41
    )
    assert on_telegram.links[0].ref is not None and "Acknowledge all 2</a>" in on_telegram.body
