"""A real `alerthub serve`: the seed's payloads arrive at the Discord and SMTP stand-ins, the
recovery turns the Discord message green and replies in the email thread; and a SIGKILL while
Discord answers 500 loses nothing: after restart each notification arrives exactly once."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.processes import ServerProcess, running, write_config
from support.seed import seed_payloads
from support.standins import DiscordStandIn, Reply, SMTPStandIn, make_certificate

pytestmark = pytest.mark.e2e


def wait_for(check: Callable[[], bool], what: str, server: ServerProcess, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n{server.log()[-4000:]}")


@pytest.fixture
def discord() -> Iterator[DiscordStandIn]:
    server = DiscordStandIn()
    yield server
    server.close()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SMTPStandIn]:
    server = SMTPStandIn(make_certificate(tmp_path))
    yield server
    server.close()


def config(tmp_path: Path, discord: DiscordStandIn, smtp: SMTPStandIn) -> dict[str, Any]:
    return {
        "storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "channels": [
            {"name": "discord", "type": "discord", "url": discord.url()},
            {
                "name": "mail",
                "type": "email",
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "tls": "starttls",
                "username": SMTPStandIn.USER,
                "password": SMTPStandIn.PASSWORD,
                "from": "hub@example.com",
                "to": ["ops@example.com"],
                "validate_certs": False,
                "language": "ko",
            },
        ],
        "receivers": [{"name": "ops", "channels": ["discord", "mail"]}],
        "route": {"receiver": "ops", "group_by": ["alertname"], "group_wait": "1s", "group_interval": "1s"},
        "delivery": {"initial_backoff": "1s", "max_backoff": "2s", "lease": "3s"},
    }


def test_seed_downtime_then_recovery_reaches_discord_and_email(
    tmp_path: Path, discord: DiscordStandIn, smtp: SMTPStandIn
) -> None:
    payloads = seed_payloads()
    server = ServerProcess(write_config(tmp_path / "alerthub.yaml", config(tmp_path, discord, smtp)), tmp_path)
    with running(server), httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.post("/api/alerts/send", json=payloads["hetrixtools_downtime"]).status_code == 202
        wait_for(lambda: bool(discord.messages) and bool(smtp.mails), "the firing messages", server)
        [message_id] = discord.messages
        assert discord.messages[message_id]["embeds"][0]["color"] == 0xE74C3C
        assert smtp.mails[0].message["Subject"].startswith("[심각]")

        assert http.post("/api/alerts/send", json=payloads["hetrixtools_recovery"]).status_code == 202
        wait_for(
            lambda: len(smtp.mails) >= 2 and discord.messages[message_id]["embeds"][0]["color"] == 0x2ECC71,
            "the resolved messages",
            server,
        )
        assert list(discord.messages) == [message_id]  # the same message, edited
        reply = smtp.mails[-1].message
        assert reply["Subject"].startswith("Re: [복구됨]")
        assert reply["In-Reply-To"] == smtp.mails[0].message["Message-ID"]


def test_sigkill_while_discord_fails_loses_nothing(tmp_path: Path, discord: DiscordStandIn, smtp: SMTPStandIn) -> None:
    discord.fail_next(Reply(500, {"message": "Internal Server Error"}), times=1000)
    path = write_config(tmp_path / "alerthub.yaml", config(tmp_path, discord, smtp))
    server = ServerProcess(path, tmp_path)
    with running(server), httpx.Client(base_url=server.url, timeout=10) as http:
        for rule in ("system_disk_high", "sentry_error_rate"):
            body = {"rule_name": rule, "metric_data": {"metric_value": 99}}
            assert http.post("/api/alerts/send", json=body).status_code == 202
        wait_for(lambda: len(discord.requests) >= 2, "Discord to be tried", server)
        server.signal(signal.SIGKILL)
        server.wait_exit(10)
    discord.scripted.clear()  # Discord is back
    restarted = ServerProcess(path, tmp_path, name="restarted")
    with running(restarted), httpx.Client(base_url=restarted.url, timeout=10) as http:

        def all_sent() -> bool:
            log = http.get("/api/notifications", params={"channel": "discord"}).json()["notifications"]
            return bool(log) and all(n["status"] == "sent" for n in log)

        wait_for(all_sent, "every Discord notification to be sent after the restart", restarted)
        log = http.get("/api/notifications", params={"channel": "discord"}).json()["notifications"]
    delivered = [r for r, reply in discord.replies if r.method == "POST" and reply.status == 200]
    assert len(delivered) == len(log)  # each exactly once
    titles = sorted(r.json()["embeds"][0]["title"] for r in delivered)
    # A system_* signal without a host names its sender as the host.
    assert titles == ["[CRITICAL] sentry_error_rate", "[HIGH] system_disk_high — 127.0.0.1"]
    assert all(n["attempts"] >= 2 for n in log)  # tried before the kill, delivered after it
