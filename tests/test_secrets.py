"""Secrets never leave: a full server configured with every kind of secret, whose channels and pollers
all fail (so error paths run), is searched — every log line and every API answer — for each secret."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.processes import ServerProcess, free_port, run_cli, running, with_database, write_config
from support.standins import Reply, SMTPStandIn, StandIn, make_certificate

pytestmark = pytest.mark.e2e

SECRETS = {
    "smtp_password": "smtp-PASS-7f3a9c",
    "discord_token": "discordTOKENq8w7e6r5t4y3",
    "slack_token": "T000/B000/slackHOOKsecret9z8y",
    "webhook_hmac": "hmac-KEY-55d1e0",
    "webhook_query": "querySECRETa1b2c3",
    "webhook_header": "Bearer hdr-SECRET-0f9e8d",
    "telegram_token": "123456:telegramBOTtokenXYZ",
    "sentry_webhook_secret": "sentry-CLIENT-secret-4e4e",
    "sentry_api_token": "sntrys_APItoken_77aa88bb",
    "hetrix_api_key": "hetrixKEY0123456789abcdef",
    "session_secret": "session-SIGNING-key-31337",
}


class Failing(StandIn):
    """Every service refuses: 500 for chat and webhooks, 401 for APIs; whatever URL carried the secret."""

    def answer(self, request: object) -> Reply:
        return Reply(500, {"message": "internal error"})


@pytest.fixture
def failing() -> Iterator[Failing]:
    server = Failing()
    yield server
    server.close()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SMTPStandIn]:
    """A real SMTP server that refuses our password (535), so the password really goes over the wire."""
    server = SMTPStandIn(make_certificate(tmp_path), tls="none")
    yield server
    server.close()


def _config(tmp_path: Path, down: Failing, smtp: SMTPStandIn) -> dict[str, object]:
    closed = f"127.0.0.1:{free_port()}"  # nothing listens: connection refused
    s = SECRETS
    return {
        "storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "auth": {"session_secret": s["session_secret"]},
        "channels": [
            {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "smtp_port": smtp.port,
             "username": SMTPStandIn.USER, "password": s["smtp_password"], "from": "alerts@example.com",
             "to": ["ops@example.com"], "tls": "none"},
            {"name": "chat", "type": "discord", "url": f"{down.base_url}/api/webhooks/1234/{s['discord_token']}"},
            {"name": "slack", "type": "slack", "url": f"{down.base_url}/services/{s['slack_token']}"},
            {"name": "hook", "type": "webhook", "url": f"{down.base_url}/hook?token={s['webhook_query']}",
             "secret": s["webhook_hmac"], "headers": {"Authorization": s["webhook_header"]}},
            {"name": "tg", "type": "telegram", "bot_token": s["telegram_token"], "chat_id": "42",
             "base_url": f"http://{closed}"},
        ],
        "receivers": [{"name": "all", "channels": ["mail", "chat", "slack", "hook", "tg"]}],
        "route": {"receiver": "all", "group_wait": "0s"},
        "rules": [{"name": "secret_test", "thresholds": {"critical": 1}}],
        "delivery": {"initial_backoff": "200ms", "max_backoff": "500ms"},
        "integrations": {
            "sentry": {"webhook_secret": s["sentry_webhook_secret"], "api_token": s["sentry_api_token"],
                       "org": "acme", "base_url": down.base_url, "poll_interval": "1s"},
            "hetrixtools": {"api_key": s["hetrix_api_key"], "base_url": down.base_url, "poll_interval": "1s"},
        },
    }  # fmt: skip


def _leaks(text: str) -> list[str]:
    found = [name for name, secret in SECRETS.items() if secret in text]
    # URL-encoded forms too (a token with ':' or '/' in a logged URL).
    found += [name for name, secret in SECRETS.items() if re.sub(r"[:/ ]", "%", secret) in text and name not in found]
    return found


def test_no_secret_in_logs_api_answers_or_errors(tmp_path: Path, failing: Failing, smtp: SMTPStandIn) -> None:
    config = with_database(write_config(tmp_path / "alerthub.yaml", _config(tmp_path, failing, smtp)))
    created = run_cli("tokens", "create", "--scope", "admin", "--name", "ops", "--config", str(config))
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().split()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    answers: list[str] = []
    with running(ServerProcess(config, tmp_path)) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        body = {"rule_name": "secret_test", "metric_data": {"metric_value": 5}, "labels": {"host": "web-1"}}
        sent = http.post("/api/alerts/send", json=body, headers=auth)
        assert sent.status_code == 202, sent.text
        alert_id = sent.json()["alert_id"]
        # Refused inputs whose error messages could echo a secret.
        answers.append(
            http.post(
                "/webhooks/sentry",
                content=b"{}",
                headers={
                    "Content-Type": "application/json",
                    "Sentry-Hook-Signature": "0" * 64,
                    "Sentry-Hook-Resource": "issue",
                },
            ).text
        )
        answers.append(http.get("/api/alerts", headers={"Authorization": f"Bearer {SECRETS['session_secret']}"}).text)
        for name in ("mail", "chat", "slack", "hook", "tg"):
            answers.append(http.post(f"/api/channels/{name}/test", headers=auth).text)

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until every channel has failed at least once, visibly
            notifications = http.get("/api/notifications", headers=auth, params={"limit": 200}).json()
            failed = {n["channel"] for n in notifications["notifications"] if n.get("last_error")}
            if failed >= {"mail", "chat", "slack", "hook", "tg"}:
                break
            time.sleep(0.3)
        assert failed >= {"mail", "chat", "slack", "hook", "tg"}, failed
        time.sleep(1.5)  # a couple of poller runs against the failing APIs
        for path in (
            "/api/channels",
            "/api/notifications",
            f"/api/alerts/{alert_id}",
            f"/api/alerts/{alert_id}/trace",
            "/api/monitoring/status",
            "/api/rules",
            "/metrics",
            "/openapi.json",
            "/",
        ):
            answers.append(http.get(path, headers=auth).text)
        log = server.log()

    assert "error" in " ".join(answers).lower(), "the failures must be visible somewhere, or this test proves nothing"
    assert failing.requests, "the failing stand-in was never called"
    assert _leaks(log) == [], (
        "secrets in the log:\n" + "\n".join(line for line in log.splitlines() if _leaks(line))[:3000]
    )
    assert token not in log
    for answer in answers:
        assert _leaks(answer) == [], answer[:2000]
        assert token not in answer


def test_config_errors_do_not_echo_secrets(tmp_path: Path) -> None:
    """Secrets in their own fields, with mistakes next to them and in them (a malformed webhook URL)."""
    s = SECRETS
    bad = {
        "channels": [
            {"name": "chat", "type": "discord", "url": f"ftp://discord.com/api/webhooks/1/{s['discord_token']}",
             "colour": "red"},
            {"name": "hook", "type": "webhook", "url": f"not a url {s['webhook_query']}"},
            {"name": "mail", "type": "email", "smtp_host": "smtp.example.com", "smtp_port": "x",
             "password": s["smtp_password"], "to": []},
        ],
        "integrations": {"hetrixtools": {"api_key": s["hetrix_api_key"], "poll_interval": "soon"},
                         "sentry": {"webhook_secret": s["sentry_webhook_secret"], "projects": "all"}},
    }  # fmt: skip
    result = run_cli("check-config", "--config", str(write_config(tmp_path / "alerthub.yaml", bad)))
    assert result.returncode == 1
    assert "channels[0].colour" in result.stderr and "channels[2].smtp_port" in result.stderr
    assert _leaks(result.stdout + result.stderr) == [], result.stderr
