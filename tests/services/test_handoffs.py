"""The handoff message as the person coming on call meets it, over the Discord and SMTP stand-ins, on both
back ends: a mention that pings them alone, saying the schedule and their shift on their own clock and
who is next; by default every channel that can reach them, in the channel's language; once across passes,
instances and restarts; after downtime only for the shift still running; a failed send retried rather
than queued again; never merged into a digest; nobody reachable is logged, not marked sent."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from alerthub.config.models import Config
from alerthub.domain.notification import NotificationStatus
from alerthub.hub import Hub, build_hub
from alerthub.services.handoffs import Handoffs
from alerthub.store.database import Database
from alerthub.store.tables import handoff, notification
from support.clock import FakeClock
from support.delivery_config import stand_in_channels
from support.outbox_rows import add_alert, enqueue, payload, rows
from support.pipeline import Row, outbox
from support.standins import DiscordStandIn, Reply, SMTPStandIn

ALICE = "111111111111111111"
BOB = "222222222222222222"
ROLE = "999999999999999999"
PEOPLE = [
    {"name": "alice", "discord_user_id": ALICE, "email": "alice@example.com", "time_zone": "Asia/Seoul"},
    {"name": "bob", "discord_user_id": BOB, "email": "bob@example.com"},
]
BOB_TURN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
ALICE_TURN = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def handoff_config(
    discord: DiscordStandIn, smtp: SMTPStandIn, message: Any, people: list[dict[str, Any]] = PEOPLE
) -> Config:
    discord_channel, mail = stand_in_channels(discord, smtp)
    return Config.model_validate(
        {
            "server": {"public_url": "http://hub.test"},
            "channels": [
                {**discord_channel, "mention_roles": [ROLE]},  # the channel's own role: never pinged by these
                {**mail, "language": "ko"},
                {"name": "hooks", "type": "webhook", "url": "http://127.0.0.1:9/hook"},
            ],
            "people": people,
            "schedules": [
                {
                    "name": "primary",
                    "time_zone": "Europe/Berlin",
                    "rotation": {"every": "1w", "handoff": "2026-11-23T09:00:00+01:00", "people": ["alice", "bob"]},
                    "handoff_message": message,
                }
            ],
        }
    )


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    return handoff_config(discord, smtp, {"via": ["discord"]})


def handoffs(hub: Hub) -> Handoffs:
    """A fresh loop, as another instance or a restarted one has: nothing remembered in memory."""
    return Handoffs(hub.db, hub.clock, hub.metrics, lambda: (hub.config, hub.oncall.roster), asyncio.Event())


async def handoff_rows(hub: Hub) -> list[Row]:
    return [r for r in await outbox(hub) if r.kind == "handoff"]


async def marks(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(handoff)) or 0)


async def test_the_incoming_person_alone_is_mentioned_with_the_schedule_their_shift_and_who_is_next(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    assert "handoffs" in hub.background
    clock.now = BOB_TURN
    assert await handoffs(hub).run_once() == 1  # bob; alice's week ends as his starts
    await hub.delivery.tick(http)
    [message] = discord.posted()
    assert (
        message["content"] == f"<@{BOB}> You are on call for primary from 2026-11-30 09:00 CET to 2026-12-07 09:00 CET"
    )
    # He alone may be pinged: not the channel's role, not alice named in the text.
    assert message["allowed_mentions"] == {"parse": [], "roles": [], "users": [BOB]}
    assert discord.pings == [f"user:{BOB}"]
    description = message["embeds"][0]["description"]
    assert "Next on call: alice, from 2026-12-07 09:00 CET" in description
    assert "On call: http://hub.test/oncall" in description

    clock.now = ALICE_TURN
    assert await handoffs(hub).run_once() == 1
    await hub.delivery.tick(http)
    alice = discord.posted()[-1]
    # Her own clock: Seoul.
    assert (
        alice["content"] == f"<@{ALICE}> You are on call for primary from 2026-12-07 17:00 KST to 2026-12-14 17:00 KST"
    )
    assert alice["allowed_mentions"]["users"] == [ALICE]
    assert [r.method for r in discord.requests] == ["POST", "POST"]  # a message of its own, not an edit of bob's


async def test_two_passes_two_instances_and_a_restart_send_it_once(
    config: Config, hub: Hub, clock: FakeClock, db: Database
) -> None:
    other = build_hub(config, clock=clock, db=db)
    clock.now = BOB_TURN + timedelta(seconds=20)
    counts = await asyncio.gather(handoffs(hub).run_once(), handoffs(other).run_once())
    assert sorted(counts) == [0, 1]
    loop = handoffs(hub)
    assert [await loop.run_once(), await loop.run_once()] == [0, 0]
    clock.advance(hours=1)
    assert await handoffs(other).run_once() == 0  # restarted: the mark in the database says it went
    [row] = await handoff_rows(hub)
    assert row.payload.paged == ("bob",) and row.channel == "discord"
    assert row.group_key == "handoff:primary:2026-11-30T08:00:00Z:bob" and row.thread_key.startswith("discord:")
    assert await marks(db) == 1


async def test_two_instances_on_one_postgresql_database_send_it_once(
    database: str, config: Config, clock: FakeClock
) -> None:
    dbs = [Database(database), Database(database)]
    try:
        hubs = [build_hub(config, clock=clock, db=d) for d in dbs]
        clock.now = BOB_TURN
        for _ in range(3):
            counts = await asyncio.gather(*(handoffs(h).run_once() for h in hubs))
            assert sorted(counts) in ([0, 1], [0, 0])
        assert len(await handoff_rows(hubs[1])) == 1 and await marks(dbs[0]) == 1
    finally:
        for d in dbs:
            await d.dispose()


async def test_a_hub_down_over_a_handoff_tells_the_shift_still_running_and_no_backlog(
    hub: Hub, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # down since alice's week: bob's began on Monday
    assert await handoffs(hub).run_once() == 1
    [row] = await handoff_rows(hub)
    note = row.payload.handoff
    assert note is not None
    assert (note.person, note.since, note.until, note.clock) == (
        "bob",
        "2026-11-30T08:00:00Z",
        "2026-12-07T08:00:00Z",
        "Europe/Berlin",
    )
    assert (note.next, note.next_since) == (("alice",), "2026-12-07T08:00:00Z")


async def test_by_default_every_channel_that_can_reach_the_person_carries_it_in_its_language(
    discord: DiscordStandIn, smtp: SMTPStandIn, clock: FakeClock, db: Database, http: httpx.AsyncClient
) -> None:
    people = [PEOPLE[0], {"name": "bob", "email": "bob@example.com"}]  # bob: mail only
    hub = build_hub(handoff_config(discord, smtp, True, people), clock=clock, db=db)
    clock.now = BOB_TURN
    assert await handoffs(hub).run_once() == 1  # the mail: no Discord id, and a webhook reaches nobody by name
    await hub.delivery.tick(http)
    [mail] = smtp.mails
    assert mail.rcpt_tos == ["bob@example.com"]
    assert str(mail.message["Subject"]) == "2026-11-30 09:00 CET부터 2026-12-07 09:00 CET까지 primary 온콜 담당입니다"
    assert "다음 담당: alice (2026-12-07 09:00 CET부터)" in mail.message.get_body(("plain",)).get_content()
    assert discord.requests == []
    clock.now = ALICE_TURN
    assert await handoffs(hub).run_once() == 2
    assert sorted(r.channel for r in await handoff_rows(hub) if r.payload.paged == ("alice",)) == ["discord", "mail"]


async def test_a_person_no_channel_can_reach_is_logged_and_not_marked_sent(
    discord: DiscordStandIn, smtp: SMTPStandIn, clock: FakeClock, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    people = [PEOPLE[0], {"name": "bob", "email": "bob@example.com"}]
    hub = build_hub(handoff_config(discord, smtp, {"via": ["discord"]}, people), clock=clock, db=db)
    clock.now = BOB_TURN
    loop = handoffs(hub)
    with caplog.at_level(logging.WARNING, logger="alerthub.services.handoffs"):
        assert await loop.run_once() == 0
        assert await loop.run_once() == 0
    [warning] = [r for r in caplog.records if r.name == "alerthub.services.handoffs"]  # once, not each pass
    assert warning.getMessage() == "handoff message reaches nobody: no contact on its channels"
    assert getattr(warning, "person", None) == "bob"
    assert await handoff_rows(hub) == [] and await marks(db) == 0


async def test_a_failed_send_is_retried_and_never_queued_again(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    clock.now = BOB_TURN
    discord.fail_next(Reply(500, {"message": "Internal Server Error"}))
    assert await handoffs(hub).run_once() == 1
    await hub.delivery.tick(http)
    [waiting] = await rows(hub.db)
    assert waiting.status is NotificationStatus.PENDING and waiting.attempts == 1
    assert await handoffs(hub).run_once() == 0
    clock.advance(minutes=5)
    await hub.delivery.tick(http)
    assert discord.statuses() == [500, 200]
    [sent] = await rows(hub.db)
    assert sent.status is NotificationStatus.SENT
    assert [m["allowed_mentions"]["users"] for m in discord.posted()] == [[BOB]]


async def test_a_handoff_is_never_merged_into_a_digest(
    hub: Hub, clock: FakeClock, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    clock.now = BOB_TURN
    for i in range(6):
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock(), labels={"host": f"h{i}"})))
    assert await handoffs(hub).run_once() == 1
    await hub.delivery.tick(http)  # Discord's 5 per 2 s: four alone, a digest of two, the handoff waits
    assert len(discord.posted()) == 5 and all(f"<@{BOB}>" not in m["content"] for m in discord.posted())
    clock.advance(2)
    await hub.delivery.tick(http)
    assert discord.posted()[-1]["allowed_mentions"]["users"] == [BOB]
    [told] = [r for r in await rows(hub.db) if r.kind == "handoff"]
    assert told.status is NotificationStatus.SENT and "merged_into" not in told.extra


async def test_a_schedule_without_the_message_sends_none(
    discord: DiscordStandIn, smtp: SMTPStandIn, clock: FakeClock, db: Database
) -> None:
    hub = build_hub(handoff_config(discord, smtp, False), clock=clock, db=db)
    clock.now = BOB_TURN
    assert await handoffs(hub).run_once() == 0
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(notification)) == 0
