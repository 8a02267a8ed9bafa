"""`services/am_status.py`: the configuration `GET /api/v2/status` shows hides every secret and still reads
as an alerthub configuration; the cluster's peers are this instance and those holding live leases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import yaml

from alerthub.config.durations import parse_duration
from alerthub.config.models import Config
from alerthub.hub import Hub
from alerthub.services.am_status import StatusService, duration_text, original_config, this_instance
from alerthub.store.monitors import take_lease
from alerthub.store.open_alerts import live_lease_owners
from support.clock import FakeClock

SECRETS = ["tg-bot-secret", "mail-pass", "apprise-secret", "session-secret-0123456789", "pg-pass", "hdr-secret"]


def test_every_secret_is_hidden_and_the_rest_reads_as_a_configuration() -> None:
    config = Config.model_validate(
        {
            "storage": {"url": "postgresql://hub:pg-pass@db:5432/hub"},
            "channels": [
                {"name": "tg", "type": "telegram", "bot_token": "tg-bot-secret", "chat_id": 5},
                {"name": "mail", "type": "email", "smtp_host": "smtp", "password": "mail-pass", "to": ["a@b.c"]},
                {"name": "any", "type": "apprise", "urls": ["pover://apprise-secret@token"]},
                {"name": "hook", "type": "webhook", "url": "http://h/", "headers": {"X-Api-Key": "hdr-secret"}},
            ],
            "auth": {"session_secret": "session-secret-0123456789"},
            "rules": [{"name": "r", "for": "1h30m", "thresholds": {"critical": 5}}],
        }
    )
    text = original_config(config)
    for secret in SECRETS:
        assert secret not in text, secret
    shown = yaml.safe_load(text)
    assert shown["channels"][0]["bot_token"] == "<secret>" and shown["channels"][0]["chat_id"] == "5"
    assert shown["channels"][2]["urls"] == ["<secret>"]
    assert shown["channels"][3]["headers"] == {"X-Api-Key": "<secret>"}
    assert shown["storage"]["url"] == "postgresql://hub:<secret>@db:5432/hub"
    assert shown["auth"]["session_secret"] == "<secret>"
    del shown["auth"]  # `<secret>` is shorter than a session secret may be
    again = Config.model_validate(shown)  # the same shape: only the secrets differ
    assert again.rules[0].for_ == timedelta(hours=1, minutes=30)
    assert again.rules == config.rules and again.route == config.route


@pytest.mark.parametrize(
    "span",
    [timedelta(0), timedelta(seconds=45), timedelta(minutes=5), timedelta(hours=1, minutes=30), timedelta(days=7),
     timedelta(milliseconds=250), timedelta(hours=4, seconds=1)],
)  # fmt: skip
def test_durations_read_back_as_the_same_span(span: timedelta) -> None:
    assert parse_duration(duration_text(span)) == span


async def test_peers_are_this_instance_and_the_holders_of_live_leases(hub: Hub, clock: FakeClock) -> None:
    async with hub.db.write() as conn:
        await take_lease(conn, "poller:sentry", "otherhost:4242:abcdef012345", clock(), clock() + timedelta(seconds=30))
        await take_lease(conn, "poller:ga4", "gonehost:7:abcdef012345", clock() - timedelta(minutes=5), clock())
    status = await StatusService(hub.db, clock, hub.config).status()
    assert status.name == this_instance()
    assert [(p.name, p.address) for p in status.peers] == [
        (this_instance(), "127.0.0.1:8000"),
        ("otherhost:4242", "otherhost"),
    ]


async def test_a_hub_running_every_loop_is_a_single_peer(hub: Hub, clock: FakeClock) -> None:
    stop = asyncio.Event()
    loops = [asyncio.create_task(run(stop)) for run in hub.background.values()]
    try:
        owners = await holders_of_live_leases(hub, clock, at_least=1)  # the heartbeat checker leads at once
        status = await StatusService(hub.db, clock, hub.config).status()
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*loops), timeout=10)
    assert owners
    assert [p.name for p in status.peers] == [this_instance()], owners


async def holders_of_live_leases(hub: Hub, clock: FakeClock, at_least: int) -> list[str]:
    for _ in range(200):
        async with hub.db.read() as conn:
            owners = await live_lease_owners(conn, clock())
        if len(owners) >= at_least:
            break
        await asyncio.sleep(0.025)
    return owners
