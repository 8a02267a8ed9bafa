"""Escalation as an on-call engineer meets it, over the Discord and SMTP stand-ins, on both back ends: a
critical alert pages the person on call (a mention that can ping nobody else), then the next step after
its wait and not before, and stops at the first acknowledgement; an acknowledgement that lapses pages
again; a resolution or a repeat of the alert changes nothing more; two instances take each step once;
alerts escalating together page each person once per step, and one link acknowledges them all; and
the trace tells the whole story."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from alerthub.config.models import Config
from alerthub.delivery.action_links import stored_codec
from alerthub.domain.escalation import EscalationState
from alerthub.domain.signal import Signal
from alerthub.errors import ConflictError, ForbiddenError
from alerthub.hub import Hub, build_hub
from alerthub.services.actions import ActionService
from alerthub.services.silences import SilenceService
from alerthub.store import escalations
from alerthub.store.database import Database
from alerthub.store.tables import notification
from support.clock import FakeClock
from support.delivery_config import stand_in_channels
from support.pipeline import clear, fire
from support.standins import DiscordStandIn, SMTPStandIn

ALICE = "111111111111111111"
LINK_ALL = r"\[([^\]]+)\]\((http://hub\.test/actions/ack_all/[^)]+)\)"
BOB = "222222222222222222"


def escalation_config(discord: DiscordStandIn, smtp: SMTPStandIn, **policy: Any) -> Config:
    discord_channel, mail = stand_in_channels(discord, smtp)
    return Config.model_validate(
        {
            "server": {"public_url": "http://hub.test"},
            "channels": [{**discord_channel, "mention_roles": ["999999999999999999"]}, mail],
            "people": [
                {"name": "alice", "discord_user_id": ALICE, "email": "alice@example.com"},
                {"name": "bob", "discord_user_id": BOB, "email": "bob@example.com"},
            ],
            "schedules": [
                {
                    "name": "primary",
                    "time_zone": "UTC",
                    # The test clock starts on 27 November 2026: alice's week.
                    "rotation": {"every": "1w", "handoff": "2026-11-23T00:00:00Z", "people": ["alice", "bob"]},
                }
            ],
            "escalation_policies": [
                {
                    "name": "critical",
                    "steps": [
                        {"notify": ["schedule:primary"], "wait": "10m"},
                        {"notify": ["person:bob"], "via": ["mail"], "wait": "10m"},
                    ],
                    **policy,
                }
            ],
            "receivers": [{"name": "ops", "channels": ["discord"], "escalation": "critical"}],
            "route": {"receiver": "ops", "group_by": ["alertname"], "group_wait": "0s", "repeat_interval": "5m"},
            "rules": [{"name": "disk_full", "thresholds": {"critical": 90}}],
        }
    )


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    return escalation_config(discord, smtp, ack_timeout="1h")


def pages(discord: DiscordStandIn) -> list[dict[str, Any]]:
    return [r.json() for r in discord.requests if r.method == "POST" and "Page: " in r.json()["content"]]


async def deliver(hub: Hub, http: httpx.AsyncClient) -> None:
    await hub.escalator.run_once()
    await hub.delivery.tick(http)


async def page_count(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).where(notification.c.kind == "page")) or 0)


async def test_a_critical_alert_pages_on_call_then_the_next_step_and_stops_at_the_acknowledgement(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, smtp: SMTPStandIn, http: httpx.AsyncClient
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    await deliver(hub, http)
    [page] = pages(discord)
    assert page["content"].startswith(f"<@{ALICE}> Page: [CRITICAL] disk_full")
    # Only the paged person can be pinged: not the channel's role, not anyone named in outside text.
    assert page["allowed_mentions"] == {"parse": [], "roles": [], "users": [ALICE]}
    assert "Paging alice. step 1 of 2: first page" in page["embeds"][0]["description"]
    [group_message] = [r.json() for r in discord.requests if r.method == "POST" and r.json() != page]
    assert group_message["allowed_mentions"]["roles"] == ["999999999999999999"]  # the channel's own message

    clock.advance(minutes=9, seconds=59)
    await deliver(hub, http)
    assert smtp.mails == [] and len(pages(discord)) == 1  # not before the step's wait
    clock.advance(seconds=1)
    await deliver(hub, http)
    [mail] = smtp.mails
    assert mail.rcpt_tos == ["bob@example.com"]
    assert str(mail.message["Subject"]).startswith("Page: [CRITICAL] disk_full")
    assert "Paging bob. step 2 of 2: no acknowledgement after 10m" in mail.message.get_body(("plain",)).get_content()

    await hub.alerts.acknowledge(alert_id, "bob")
    await deliver(hub, http)
    async with hub.db.read() as conn:
        [esc] = await escalations.of_alert(conn, alert_id)
    assert esc.state is EscalationState.ACKNOWLEDGED and esc.note.startswith("acknowledged by bob")
    clock.advance(minutes=59)
    await deliver(hub, http)
    assert len(pages(discord)) == 1 and len(smtp.mails) == 1  # acknowledged: nobody else is paged

    trace = [e.reason for e in (await hub.alerts.trace(alert_id)).history if e.kind.value == "escalation"]
    assert trace == [
        "step 1 of 2: paged alice via discord (first page)",
        "step 2 of 2: paged bob via mail (no acknowledgement after 10m)",
        "acknowledged by bob; lapses after 1h if it still fires",
    ]


async def test_an_acknowledgement_that_lapses_while_the_alert_fires_pages_again(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    await deliver(hub, http)
    await hub.alerts.acknowledge(alert_id, "alice")
    await deliver(hub, http)
    clock.advance(hours=1)
    await deliver(hub, http)
    detail = await hub.alerts.get(alert_id)
    assert detail.alert.state.value == "firing" and detail.alert.acknowledged_by is None
    assert [p["allowed_mentions"]["users"] for p in pages(discord)] == [[ALICE], [ALICE]]
    lapse = [e for e in detail.history if e.actor == "escalation:critical" and e.kind.value == "transition"]
    assert [e.reason for e in lapse] == ["the acknowledgement by alice lapsed after 1h: paging again"]


async def test_resolution_ends_it_and_a_repeat_of_the_alert_does_not_restart_it(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, smtp: SMTPStandIn, http: httpx.AsyncClient
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    await deliver(hub, http)
    clock.advance(minutes=6)
    await fire(hub, "disk_full", 98.0, host="web-1")  # the same alert again, past the repeat interval
    await hub.pipeline.dispatcher.run_once()
    await deliver(hub, http)
    assert len(pages(discord)) == 1
    await clear(hub, "disk_full", host="web-1")
    await deliver(hub, http)
    clock.advance(minutes=30)
    await deliver(hub, http)
    assert len(pages(discord)) == 1 and smtp.mails == []
    async with hub.db.read() as conn:
        [esc] = await escalations.of_alert(conn, alert_id)
    assert esc.state is EscalationState.DONE and esc.note == "the alert resolved"


async def test_two_instances_take_each_step_once(
    config: Config, hub: Hub, clock: FakeClock, db: Database, http: httpx.AsyncClient
) -> None:
    other = build_hub(config, clock=clock, db=db)
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    for _ in range(3):
        moved = await asyncio.gather(hub.escalator.run_once(), other.escalator.run_once())
        assert sorted(moved) in ([0, 1], [0, 0])
        clock.advance(minutes=10)
    assert await page_count(db) == 2  # step 1 on Discord, step 2 by mail: each once
    async with db.read() as conn:
        [esc] = await escalations.of_alert(conn, alert_id)
    assert esc.state is EscalationState.EXHAUSTED


async def test_a_step_nobody_can_be_reached_by_still_speaks_in_its_channels(
    discord: DiscordStandIn, smtp: SMTPStandIn, clock: FakeClock, db: Database, http: httpx.AsyncClient
) -> None:
    config = escalation_config(discord, smtp)
    people = [p.model_copy(update={"discord_user_id": None}) for p in config.people]
    hub = build_hub(config.model_copy(update={"people": people}), clock=clock, db=db)
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    await deliver(hub, http)
    page = discord.requests[-1].json()
    # Unaddressed, it pings whom the channel itself pings (its role), as the channel's own messages do.
    assert page["allowed_mentions"] == {"parse": [], "roles": ["999999999999999999"], "users": []}
    assert page["content"].startswith("<@&999999999999999999> Page: ")
    assert "Escalation: nobody could be paged by name. step 1 of 2" in page["embeds"][0]["description"]
    [event] = [e for e in (await hub.alerts.trace(alert_id)).history if e.kind.value == "escalation"]
    said = "step 1 of 2: paged nobody by name via discord (first page); alice has no contact for discord"
    assert event.reason == said


async def test_alerts_escalating_together_page_each_person_once_per_step(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, smtp: SMTPStandIn, http: httpx.AsyncClient
) -> None:
    """An outage: three alerts fire at once and escalate in step, each on its own. alice gets one page
    listing all three, then bob one mail, not three each; every alert's history still tells its steps,
    and every page row is accounted for, merged into the one that went."""
    signals = [Signal("disk_full", "test", value=97.0, labels={"host": f"web-{i}"}) for i in range(3)]
    ids = [r.alert_id for r in await hub.ingest.ingest(signals)]
    await deliver(hub, http)
    [page] = pages(discord)
    assert page["allowed_mentions"]["users"] == [ALICE]
    assert all(f"web-{i}" in str(page) for i in range(3))
    assert page["content"] == f"<@{ALICE}> Page: [CRITICAL] 3 alerts"
    assert "Paging alice. step 1 of 2: first page" in page["embeds"][0]["description"]
    clock.advance(minutes=10)
    await deliver(hub, http)
    [mail] = smtp.mails
    assert mail.rcpt_tos == ["bob@example.com"]
    plain = mail.message.get_body(("plain",)).get_content()
    assert all(f"web-{i}" in plain for i in range(3))
    assert "Acknowledge all 3: http://hub.test/actions/ack_all/" in plain  # acting as bob, on all three
    assert ">Acknowledge all 3</a>" in mail.message.get_body(("html",)).get_content()
    for alert_id in ids:
        told = [e.reason for e in (await hub.alerts.trace(alert_id)).history if e.kind.value == "escalation"]
        assert told == [
            "step 1 of 2: paged alice via discord (first page)",
            "step 2 of 2: paged bob via mail (no acknowledgement after 10m)",
        ]
    async with hub.db.read() as conn:
        found = (await conn.execute(select(notification).where(notification.c.kind == "page"))).all()
    sent = {r.id: r for r in found if r.merged_into is None}
    assert [r.status for r in sent.values()] == ["sent", "sent"]  # one page per step
    assert (
        sorted(sent[r.merged_into].channel for r in found if r.merged_into is not None)
        == ["discord"] * 3 + ["mail"] * 3
    )


async def test_acknowledge_all_on_a_page_for_several_alerts_stops_every_escalation(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, smtp: SMTPStandIn, http: httpx.AsyncClient
) -> None:
    """The page listing three alerts carries one link for all of them: alice acknowledges the page, as
    she would on PagerDuty, and bob is never paged, though one alert was acknowledged on its own first.
    The link acts once: a second use has nothing left to acknowledge."""
    signals = [Signal("disk_full", "test", value=97.0, labels={"host": f"web-{i}"}) for i in range(3)]
    ids = [r.alert_id for r in await hub.ingest.ingest(signals)]
    await deliver(hub, http)
    [page] = pages(discord)
    [(label, url)] = re.findall(LINK_ALL, page["embeds"][0]["description"])
    assert label == "Acknowledge all 3"
    [group_message] = [r.json() for r in discord.requests if r.method == "POST" and r.json() != page]
    # The channel's own message for the group has one too, naming its own row and acting as the channel.
    [(_, channel_url)] = re.findall(LINK_ALL, group_message["embeds"][0]["description"])
    assert channel_url != url
    await hub.alerts.acknowledge(ids[0], "carol")

    codec = stored_codec(hub.db, hub.config.auth, hub.clock)
    actions = ActionService(lambda: hub.alerts, SilenceService(hub.db, hub.clock), codec, hub.clock)
    token = url.rsplit("/", 1)[1]
    looked = await actions.look("ack_all", token)
    assert sorted(a.id for a in looked.alerts) == ids[1:]  # what the confirmation page lists
    done = await actions.perform("ack_all", token)
    assert sorted(a.id for a in done.alerts) == ids[1:]
    for alert_id in ids[1:]:
        found = (await hub.alerts.get(alert_id)).alert
        assert found.state.value == "acknowledged" and found.acknowledged_by == "alice via link"
    assert (await hub.alerts.get(ids[0])).alert.acknowledged_by == "carol"
    with pytest.raises(ConflictError, match="every alert this message listed is already acknowledged"):
        await actions.perform("ack_all", token)

    clock.advance(minutes=10)
    await deliver(hub, http)
    assert smtp.mails == [] and len(pages(discord)) == 1  # nobody else is paged
    with pytest.raises(ForbiddenError):  # the path names the action the token was signed for
        await actions.look("ack", token)
