"""`services/am_import.py`: Alertmanager's example configuration and one with every receiver kind become
alerthub configurations that pass check-config, and everything not carried is named, receiver and
integration included."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import apprise
import pytest

from alerthub.config.models import Config
from alerthub.hub import check_config
from alerthub.services.am_import import AlertmanagerConfigError, Imported, convert, parse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "alertmanager"
WORKFLOW = (
    "https://prod-12.westus.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke"
    "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SIGxyz"
)

EVERY_KIND = """
global:
  smtp_smarthost: smtp.example.org:465
  smtp_from: alerts@example.org
  smtp_auth_username: mailer
  smtp_auth_password: mail-secret
  slack_api_url: https://hooks.slack.com/services/T0/B0/global
  resolve_timeout: 10m
route:
  receiver: hooks
  group_by: [alertname]
  group_wait: 10s
  routes:
    - matchers: ['team="mail"']
      receiver: mail
      mute_time_intervals: [weekends]
    - match: {team: chat}
      receiver: chat
      active_time_intervals: [office]
      continue: true
    - match_re: {team: "pager|ops"}
      receiver: pager
      unknown_key: 1
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
time_intervals:
  - name: office
    time_intervals: [{times: [{start_time: "09:00", end_time: "17:00"}], weekdays: ["monday:friday"]}]
mute_time_intervals:
  - name: weekends
    time_intervals: [{weekdays: [saturday, sunday]}]
receivers:
  - name: hooks
    webhook_configs:
      - url: http://hooks.example.org/a
        send_resolved: false
        http_config: {authorization: {credentials: tok-a}}
      - url: http://hooks.example.org/b
        http_config: {bearer_token: tok-b, tls_config: {insecure_skip_verify: true}}
        max_alerts: 5
      - url: http://hooks.example.org/c
        http_config: {basic_auth: {username: u, password: p}}
      - url_file: /etc/alertmanager/hook-url
  - name: mail
    email_configs:
      - to: ops@example.org, dev@example.org
        headers: {Subject: '{{ template "x" . }}'}
      - to: plain@example.org
        smarthost: relay.example.org:25
        require_tls: false
        auth_password_file: /etc/alertmanager/smtp-password
        send_resolved: true
  - name: chat
    slack_configs:
      - channel: '#ops'
        title: '{{ .CommonLabels.alertname }}'
      - api_url: https://hooks.slack.com/services/T0/B0/own
        send_resolved: true
    discord_configs:
      - webhook_url: https://discord.com/api/webhooks/1/tok
        message: '{{ .CommonAnnotations.summary }}'
    telegram_configs:
      - bot_token: "123:ABC"
        chat_id: -1001234
        api_url: http://telegram.local:8081/
      - bot_token_file: /etc/alertmanager/telegram
        chat_id: 5
  - name: pager
    pagerduty_configs:
      - routing_key: R0UT1NG
        url: https://events.eu.pagerduty.com/v2/enqueue
      - routing_key: R2
        url: http://my-proxy.example.org/v2/enqueue
        severity: '{{ .CommonLabels.severity }}'
      - service_key: V1KEY
        url: https://events.eu.pagerduty.com/v2/enqueue
      - service_key: V1KEY
        url: http://my-proxy.example.org/generic/2010-04-15/create_event.json
    msteams_configs:
      - webhook_url: https://example.webhook.office.com/webhookb2/x@y/IncomingWebhook/z/w
    msteamsv2_configs:
      - webhook_url: "WORKFLOW_URL"
        text: '{{ .Status }}'
    opsgenie_configs:
      - api_key: og
  - name: nothing
templates: ['/etc/alertmanager/*.tmpl']
""".replace("WORKFLOW_URL", WORKFLOW)


@pytest.fixture(scope="module")
def every_kind() -> Imported:
    return convert(parse(EVERY_KIND))


def channels(imported: Imported) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in imported.config["channels"]}


def notes(imported: Imported) -> list[str]:
    return [str(n) for n in imported.notes]


def test_alertmanagers_example_passes_check_config() -> None:
    source = parse((FIXTURES / "simple.yml").read_text(encoding="utf-8"))
    imported = convert(source)
    config = Config.model_validate(imported.config)
    assert check_config(config) == []
    assert imported.config["route"] == source["route"]
    assert imported.config["inhibit_rules"] == source["inhibit_rules"]
    receivers = {r.name: r.channels for r in config.receivers}
    assert receivers["team-X-pager"] == ["team-X-pager-email-0", "team-X-pager-pagerduty-0"]
    mail = channels(imported)["team-X-mails-email-0"]
    assert (mail["smtp_host"], mail["smtp_port"], mail["from"], mail["username"], mail["password"]) == (
        "localhost",
        25,
        "alertmanager@example.org",
        "alertmanager",
        "password",
    )
    assert mail["to"] == "team-X+alerts@example.org" and mail["send_resolved"] is False
    assert channels(imported)["team-DB-pager-pagerduty-0"]["urls"] == [
        "pagerduty://%3Cteam-DB-key%3E@alertmanager?region=us"
    ]
    assert "templates: Go templates are not carried (alerthub renders its own messages)" in notes(imported)
    assert "tracing: not carried" in notes(imported)


def test_every_kind_passes_check_config(every_kind: Imported) -> None:
    config = Config.model_validate(every_kind.config)
    assert check_config(config) == []
    assert {r.name: r.channels for r in config.receivers} == {
        "hooks": ["hooks-webhook-0", "hooks-webhook-1", "hooks-webhook-2"],
        "mail": ["mail-email-0", "mail-email-1"],
        "chat": ["chat-slack-0", "chat-slack-1", "chat-discord-0", "chat-telegram-0"],
        "pager": ["pager-pagerduty-0", "pager-pagerduty-1", "pager-pagerduty-2", "pager-msteamsv2-0"],
        "nothing": [],
    }


def test_route_inhibition_and_time_intervals_keep_alertmanagers_keys(every_kind: Imported) -> None:
    source = parse(EVERY_KIND)
    expected_route = {**source["route"], "routes": [dict(r) for r in source["route"]["routes"]]}
    del expected_route["routes"][2]["unknown_key"]
    assert every_kind.config["route"] == expected_route
    assert every_kind.config["inhibit_rules"] == source["inhibit_rules"]
    assert [t["name"] for t in every_kind.config["time_intervals"]] == ["office", "weekends"]
    assert "route.routes[2].unknown_key: not carried" in notes(every_kind)


def test_webhooks_carry_credentials_and_send_resolved(every_kind: Imported) -> None:
    made = channels(every_kind)
    assert made["hooks-webhook-0"] == {
        "name": "hooks-webhook-0",
        "type": "webhook",
        "url": "http://hooks.example.org/a",
        "headers": {"Authorization": "Bearer tok-a"},
        "send_resolved": False,
    }
    assert made["hooks-webhook-1"]["headers"] == {"Authorization": "Bearer tok-b"}
    assert made["hooks-webhook-1"]["send_resolved"] is True  # Alertmanager's default for webhooks
    assert made["hooks-webhook-2"]["headers"] == {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
    said = notes(every_kind)
    assert "receiver 'hooks' webhook_configs[1]: `http_config.tls_config` not carried" in said
    assert "receiver 'hooks' webhook_configs[1]: `max_alerts` not carried" in said
    assert any(n.startswith("receiver 'hooks' webhook_configs[3]: `url` only as `url_file`") for n in said), said
    assert any(n.startswith("receiver 'hooks' webhook_configs[3]: `url_file`: Alertmanager reads") for n in said)


def test_email_takes_global_smtp_settings(every_kind: Imported) -> None:
    made = channels(every_kind)
    assert made["mail-email-0"] == {
        "name": "mail-email-0",
        "type": "email",
        "smtp_host": "smtp.example.org",
        "smtp_port": 465,
        "to": "ops@example.org, dev@example.org",
        "from": "alerts@example.org",
        "username": "mailer",
        "password": "mail-secret",
        "tls": "ssl",  # port 465 is implicit TLS, as Alertmanager does it
        "send_resolved": False,  # Alertmanager's default for email
    }
    own = made["mail-email-1"]
    assert (own["smtp_host"], own["smtp_port"], own["tls"], own["send_resolved"]) == (
        "relay.example.org",
        25,
        "none",
        True,
    )
    said = notes(every_kind)
    assert any(n.startswith("receiver 'mail' email_configs[0]: `headers`: Go template not carried") for n in said)
    assert any(n.startswith("receiver 'mail' email_configs[1]: `auth_password_file`") for n in said), said


def test_chat_channels(every_kind: Imported) -> None:
    made = channels(every_kind)
    assert made["chat-slack-0"]["url"] == "https://hooks.slack.com/services/T0/B0/global"
    assert made["chat-slack-1"]["url"] == "https://hooks.slack.com/services/T0/B0/own"
    assert made["chat-discord-0"]["url"] == "https://discord.com/api/webhooks/1/tok"
    telegram = made["chat-telegram-0"]
    assert (telegram["bot_token"], telegram["chat_id"], telegram["base_url"]) == (
        "123:ABC",
        "-1001234",
        "http://telegram.local:8081",
    )
    said = notes(every_kind)
    assert any(n.startswith("receiver 'chat' slack_configs[0]: `title`: Go template not carried") for n in said)
    assert any(n.startswith("receiver 'chat' slack_configs[0]: `channel` '#ops' not carried") for n in said)
    assert any(n.startswith("receiver 'chat' discord_configs[0]: `message`: Go template not carried") for n in said)
    assert any(n.startswith("receiver 'chat' telegram_configs[1]: `bot_token` only as `bot_token_file`") for n in said)


def test_a_routing_key_becomes_a_pagerduty_channel_on_the_same_events_url(every_kind: Imported) -> None:
    made = channels(every_kind)
    assert made["pager-pagerduty-0"] == {
        "name": "pager-pagerduty-0",
        "type": "pagerduty",
        "routing_key": "R0UT1NG",
        "url": "https://events.eu.pagerduty.com/v2/enqueue",
        "send_resolved": True,  # Alertmanager's default for PagerDuty
    }
    assert made["pager-pagerduty-1"]["url"] == "http://my-proxy.example.org/v2/enqueue"
    said = notes(every_kind)
    assert any(n.startswith("receiver 'pager' pagerduty_configs[1]: `severity`: Go template") for n in said), said


def test_a_service_key_stays_an_apprise_url_and_is_named(every_kind: Imported) -> None:
    made = channels(every_kind)
    assert made["pager-pagerduty-2"]["urls"] == ["pagerduty://V1KEY@alertmanager?region=eu"]
    said = notes(every_kind)
    v1 = "`service_key` (Events API v1) used as the Events API v2 routing key Apprise sends"
    assert f"receiver 'pager' pagerduty_configs[2]: {v1}" in said
    assert any(n.startswith("receiver 'pager' pagerduty_configs[3]: `url` 'http://my-proxy") for n in said), said


def test_teams_become_apprise_urls(every_kind: Imported) -> None:
    made = channels(every_kind)
    assert made["pager-msteamsv2-0"]["urls"] == [WORKFLOW]
    for channel in ("pager-pagerduty-2", "pager-msteamsv2-0"):
        [url] = made[channel]["urls"]
        assert apprise.Apprise.instantiate(url) is not None, url
    said = notes(every_kind)
    assert any(
        n.startswith("receiver 'pager' msteams_configs[0]: `webhook_url` is not a Teams Workflows") for n in said
    )
    assert any(n.startswith("receiver 'pager' msteamsv2_configs[0]: `text`: Go template") for n in said)
    assert any(n.startswith("receiver 'pager' opsgenie_configs: no alerthub channel") for n in said)


def test_unused_global_settings_are_named(every_kind: Imported) -> None:
    assert "global.resolve_timeout: not carried" in notes(every_kind)


def test_every_integration_key_is_carried_or_named(every_kind: Imported) -> None:
    """Nothing silently dropped: each key an integration sets shows in its own channel or its own notes."""
    carried_as = {
        "api_url": ("url", "base_url"),
        "webhook_url": ("url", "urls"),
        "smarthost": ("smtp_host",),
        "require_tls": ("tls",),
        "routing_key": ("routing_key",),
        "service_key": ("urls",),
        "http_config": ("headers",),
        "url": ("url", "urls"),  # for a service_key, PagerDuty's events endpoint becomes the Apprise URL's region
    }
    made = channels(every_kind)
    for receiver in parse(EVERY_KIND)["receivers"]:
        name = receiver["name"]
        for key, items in receiver.items():
            kind = key.removesuffix("_configs")
            for i, settings in enumerate(items if key != "name" else []):
                own_notes = [
                    n
                    for n in notes(every_kind)
                    if n.startswith((f"receiver {name!r} {key}[{i}]:", f"receiver {name!r} {key}:"))
                ]
                channel = made.get(f"{name}-{kind}-{i}", {})
                for field in settings:
                    in_channel = any(k in channel for k in carried_as.get(field, (field,)))
                    whole = f"receiver {name!r} {key}:"  # the whole integration, e.g. one with no channel type
                    named = any(
                        f"`{field}" in n or "channel not created" in n or n.startswith(whole) for n in own_notes
                    )
                    assert in_channel or named, (
                        name,
                        key,
                        i,
                        field,
                    )


@pytest.mark.parametrize(
    ("text", "message"),
    [("route: [", "not valid YAML"), ("- a", "top level must be a mapping"), ("receivers: {a: 1}", "receivers")],
)
def test_not_an_alertmanager_configuration(text: str, message: str) -> None:
    with pytest.raises(AlertmanagerConfigError, match=message):
        convert(parse(text))
