"""Channels that fail for a while, against a real `alerthub serve`: an SMTP server that is down and then
comes up, and a Discord stand-in answering 429 (with Discord's headers) and 5xx in bursts. Every message
arrives exactly once, and after a 429 nothing is sent before Discord said it may be.

The retry and pacing rules themselves are unit-tested on a fake clock in tests/delivery/test_worker.py;
these tests check that they hold end to end, across real sockets and real time (shortened intervals)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from support import standins
from support.processes import ServerProcess, free_port, running, write_config
from support.standins import DiscordStandIn, Reply, SMTPStandIn, make_certificate

pytestmark = pytest.mark.e2e

HOSTS = [f"node{i:02d}x" for i in range(12)]  # no host name is a prefix of another
SERVER_ERROR = Reply(500, {"message": "500: Internal Server Error", "code": 0})
RATE_LIMITED = Reply(
    429,
    {"message": "You are being rate limited.", "retry_after": 1.2, "global": False},
    {"Retry-After": "2", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "1.2",
     "X-RateLimit-Scope": "user"},
)  # fmt: skip


def _config(tmp_path: Path, channel: dict[str, Any]) -> Path:
    settings = {
        "storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "rules": [{"name": "outage_test", "thresholds": {"critical": 1}}],
        "channels": [channel],
        "receivers": [{"name": "ops", "channels": [channel["name"]]}],
        "route": {"receiver": "ops", "group_by": ["host"], "group_wait": "0s", "repeat_interval": "24h"},
        # Retries in fractions of a second instead of minutes; the rules are the production ones.
        "delivery": {"initial_backoff": "200ms", "max_backoff": "1s", "max_attempts": 50},
    }
    return write_config(tmp_path / "alerthub.yaml", settings)


def _fire(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for host in HOSTS:
            body = {"rule_name": "outage_test", "metric_data": {"metric_value": 5}, "labels": {"host": host}}
            assert http.post("/api/alerts/send", json=body).status_code == 202


def _mentions(texts: list[str]) -> dict[str, int]:
    return {host: sum(text.count(host) > 0 for text in texts) for host in HOSTS}


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path)


def test_every_mail_arrives_after_the_smtp_server_comes_back(
    tmp_path: Path, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens here yet: the SMTP server is down
    mail = {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "smtp_port": port, "tls": "starttls",
            "validate_certs": False, "username": SMTPStandIn.USER, "password": SMTPStandIn.PASSWORD,
            "from": "alerthub@example.com", "to": ["ops@example.com"], "rate_per_second": 50, "burst": 50}  # fmt: skip
    with running(ServerProcess(_config(tmp_path, mail), tmp_path)) as server:
        _fire(server)

        def failing_rows() -> int:
            rows = httpx.get(server.url + "/api/notifications", params={"limit": 100}, timeout=5).json()
            return sum(1 for n in rows["notifications"] if n["attempts"] >= 2 and n["status"] != "sent")

        _wait(lambda: failing_rows() >= len(HOSTS), 15, "the mails were not retried while the server was down")
        monkeypatch.setattr(standins, "free_port", lambda: port)
        smtp = SMTPStandIn(certificate, tls="starttls")  # the server comes back on the same port
        try:
            _wait(lambda: len(smtp.mails) >= len(HOSTS), 15, f"only {len(smtp.mails)} mails arrived")
            time.sleep(1)  # nothing more should come
            texts = [m.message.as_string() for m in smtp.mails]
        finally:
            smtp.close()
        log = server.log()
    assert _mentions(texts) == dict.fromkeys(HOSTS, 1), "each alert's mail exactly once"
    assert all(m.authenticated for m in smtp.mails)
    assert "Connection refused" in log  # the outage was real and visible


def test_discord_429_and_5xx_bursts_deliver_everything_and_honour_retry_after(
    tmp_path: Path, discord: DiscordStandIn
) -> None:
    # Configured faster than Discord allows, so Discord's own 429s happen and must be obeyed.
    chat = {"name": "chat", "type": "discord", "url": discord.url("1234/tok"), "rate_per_second": 10, "burst": 10}
    discord.fail_next(Reply(502, text="upstream connect error"), 3)
    with running(ServerProcess(_config(tmp_path, chat), tmp_path)) as server:
        _fire(server)
        _wait(lambda: len(discord.posted()) >= 3, 15, "nothing got through")
        with discord.lock:  # a second burst: Discord's 429 (as its rate limiter answers it), then 5xx
            discord.scripted.extend([RATE_LIMITED, SERVER_ERROR, SERVER_ERROR, RATE_LIMITED])

        def delivered() -> bool:
            return all(_mentions([json.dumps(p) for p in discord.posted()]).values())

        _wait(delivered, 40, "not every alert reached Discord")
        time.sleep(1)
    with discord.lock:
        replies = [(reply, at) for (_, reply), at in zip(discord.replies, discord.times, strict=True)]
    assert _mentions([json.dumps(p) for p in discord.posted()]) == dict.fromkeys(HOSTS, 1)
    statuses = [reply.status for reply, _ in replies]
    assert statuses.count(502) == 3 and statuses.count(500) == 2 and statuses.count(429) >= 2
    limited = [(at, float(reply.headers["X-RateLimit-Reset-After"])) for reply, at in replies if reply.status == 429]
    times = [at for _, at in replies]
    for at, wait in limited:
        following = [t for t in times if t > at]
        if following:
            assert following[0] >= at + wait - 0.05, f"sent {following[0] - at:.3f}s after a 429 asking for {wait}s"
