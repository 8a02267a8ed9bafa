from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from alerthub.config.models import Config
from support.clock import FakeClock
from support.standins import DiscordStandIn, Reply

TOKEN = "webhook-token-that-must-not-leak"


@pytest.fixture
def discord(clock: FakeClock) -> Iterator[DiscordStandIn]:
    server = DiscordStandIn(now=lambda: clock().timestamp())
    yield server
    server.close()


@pytest.fixture
def config(discord: DiscordStandIn) -> Config:
    return Config.model_validate(
        {
            "channels": [
                {"name": "discord", "type": "discord", "url": discord.url(f"1/{TOKEN}")},
                {
                    "name": "mail",
                    "type": "email",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": 2,
                    "password": "pw-secret",
                    "to": ["ops@example.com"],
                    "tls": "none",
                },
            ]
        }
    )


async def test_list_redacts_every_secret(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/channels")
    assert answer.status_code == 200
    names = [(c["name"], c["type"]) for c in answer.json()["channels"]]
    assert names == [("discord", "discord"), ("mail", "email")]
    discord = answer.json()["channels"][0]
    assert (discord["rate_per_second"], discord["burst"]) == (0.5, 5)  # Discord's published limits
    assert TOKEN not in answer.text and "pw-secret" not in answer.text


async def test_test_message_reports_success_and_is_remembered(
    client: httpx.AsyncClient, discord: DiscordStandIn
) -> None:
    answer = await client.post("/api/channels/discord/test")
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert answer.json()["external_id"] in discord.messages
    assert discord.posted()[0]["embeds"][0]["title"] == "[INFO] Test message from alerthub"
    [listed] = [c for c in (await client.get("/api/channels")).json()["channels"] if c["name"] == "discord"]
    assert listed["last_success_at"] is not None and listed["last_error"] is None


async def test_a_failing_channel_answers_502_with_the_real_error(
    client: httpx.AsyncClient, discord: DiscordStandIn
) -> None:
    discord.fail_next(Reply(429, {"message": "You are being rate limited.", "retry_after": 3.5, "global": False}))
    answer = await client.post("/api/channels/discord/test")
    assert answer.status_code == 502
    body = answer.json()
    assert body["ok"] is False and body["retryable"] is True and body["status"] == 429 and body["retry_after"] == 3.5
    paused = {c["name"]: c for c in (await client.get("/api/channels")).json()["channels"]}["discord"]["paused_until"]
    assert paused == "2026-11-27T09:00:03.500000Z"  # the outbox waits as Discord asked
    mail = await client.post("/api/channels/mail/test")
    assert mail.status_code == 502 and mail.json()["retryable"] is True
    listed = {c["name"]: c for c in (await client.get("/api/channels")).json()["channels"]}
    assert listed["mail"]["last_failure_at"] is not None and listed["mail"]["last_error"].startswith("test: ")
    assert "pw-secret" not in str(listed)


async def test_unknown_channel_is_404_naming_the_known_ones(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/channels/nope/test")
    assert answer.status_code == 404 and "discord, mail" in answer.json()["detail"]
