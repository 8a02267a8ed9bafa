"""Acknowledge, Resolve and Silence as Slack buttons: the message carries them with the signed token in
`value`; a press signed as Slack signs it acts as the person who pressed (found by their Slack id in
people[]) and replaces the message through `response_url`; a wrong signature, a stale timestamp or no
signing secret is 401 and changes nothing; a press that no longer applies is told to the presser alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from alerthub.api.app import create_app
from alerthub.config.models import Config
from alerthub.delivery.client import delivery_client
from alerthub.hub import Hub, build_hub
from alerthub.store.database import Database
from support.clock import FakeClock
from support.pipeline import dispatcher, fire, page_together, paging
from support.standins import SlackStandIn
from support.waiting import eventually

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's documented example signing secret
ALICE = "U024BE7LH"
PATH = "/webhooks/slack/interactions"


@pytest.fixture
def slack(clock: FakeClock) -> Iterator[SlackStandIn]:
    server = SlackStandIn(now=lambda: clock().timestamp(), limit=100)
    yield server
    server.close()


def slack_config(slack: SlackStandIn, secret: str | None = SECRET) -> Config:
    return Config.model_validate(
        {
            "server": {"public_url": "http://hub.test"},
            "channels": [
                {"name": "slack", "type": "slack", "url": slack.base_url + "/services/T/B/X", "buttons": True}
            ],
            "people": [{"name": "alice", "slack_user_id": ALICE}],
            "route": {"group_wait": "0s"},
            "rules": [{"name": "disk_full", "thresholds": {"critical": 90}}],
            "integrations": {"slack": {"signing_secret": secret}} if secret else {},
        }
    )


@pytest.fixture
def config(slack: SlackStandIn) -> Config:
    return slack_config(slack)


async def posted_message(hub: Hub, slack: SlackStandIn) -> dict[str, Any]:
    await dispatcher(hub).run_once()
    async with delivery_client() as http:
        await hub.delivery.tick(http)
    return [r.json() for r in slack.requests if r.path.startswith("/services/")][-1]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    return {e["action_id"]: e["value"] for e in actions["elements"]}


def payload(slack: SlackStandIn, message: dict[str, Any], action: str, user: str = ALICE) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "alice.kim" if user == ALICE else "mallory", "team_id": "T0001"},
        "api_app_id": "A0001",
        "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": "C0001"},
        "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
        "response_url": slack.response_url(),
        "message": {"type": "message", "text": message["text"], "blocks": message["blocks"]},
        "actions": [
            {"type": "button", "action_id": action, "block_id": "b1", "value": buttons(message)[action],
             "action_ts": "1548426417.840180"}
        ],
    }  # fmt: skip


async def until_answered(slack: SlackStandIn, count: int) -> list[dict[str, Any]]:
    async def answered() -> bool:
        return len(slack.responses()) >= count

    await eventually(answered)
    return slack.responses()


async def test_a_press_acknowledges_as_the_person_and_replaces_the_buttons(
    hub: Hub, clock: FakeClock, slack: SlackStandIn, client: httpx.AsyncClient
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    message = await posted_message(hub, slack)
    assert set(buttons(message)) == {"ack", "resolve", "silence"}
    context = " ".join(e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"])
    assert "/actions/ack/" not in context  # the buttons stand in for the links

    headers, body = SlackStandIn.press(SECRET, int(clock().timestamp()), payload(slack, message, "ack"))
    answer = await client.post(PATH, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    detail = (await client.get(f"/api/alerts/{alert_id}")).json()
    assert detail["state"] == "acknowledged" and detail["acknowledged_by"] == "alice via slack"
    assert any(e["actor"] == "user:alice via slack" for e in detail["history"])
    [update] = await until_answered(slack, 1)
    assert update["replace_original"] is True and update["text"] == "Acknowledged by alice"
    assert [b["type"] for b in update["blocks"]][-1] == "context"
    assert not [b for b in update["blocks"] if b["type"] == "actions"]

    # Pressed again (or by someone else): it no longer applies, and only the presser is told.
    headers, body = SlackStandIn.press(SECRET, int(clock().timestamp()), payload(slack, message, "ack", "U0MALLORY"))
    assert (await client.post(PATH, content=body, headers=headers)).status_code == 200
    told = (await until_answered(slack, 2))[-1]
    assert told["response_type"] == "ephemeral" and "already acknowledged by alice via slack" in told["text"]


@pytest.mark.parametrize("tamper", ["signature", "stale", "body"])
async def test_a_press_slack_did_not_sign_is_401_and_changes_nothing(
    hub: Hub, clock: FakeClock, slack: SlackStandIn, client: httpx.AsyncClient, tamper: str
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    message = await posted_message(hub, slack)
    now = int(clock().timestamp())
    secret = "not-the-signing-secret" if tamper == "signature" else SECRET
    stamp = now - 301 if tamper == "stale" else now
    headers, body = SlackStandIn.press(secret, stamp, payload(slack, message, "resolve"))
    if tamper == "body":
        body = body.replace(b"resolve", b"silence", 1)
    answer = await client.post(PATH, content=body, headers=headers)
    assert answer.status_code == 401
    assert "X-Slack" in answer.json()["detail"]
    assert (await client.get(f"/api/alerts/{alert_id}")).json()["state"] == "firing"
    assert slack.responses() == []


async def test_presses_are_refused_until_a_signing_secret_is_set(
    slack: SlackStandIn, clock: FakeClock, db: Any
) -> None:
    from alerthub.api.app import create_app
    from alerthub.hub import build_hub

    config = slack_config(slack, secret=None).model_copy(
        update={"channels": [slack_config(slack).channels[0].model_copy(update={"buttons": False})]}
    )
    hub = build_hub(config, clock=clock, db=db)
    app = create_app(hub, migrate=False, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        headers, body = SlackStandIn.press("anything", int(clock().timestamp()), {"type": "block_actions"})
        answer = await client.post(PATH, content=body, headers=headers)
    assert answer.status_code == 401
    assert "integrations.slack.signing_secret" in answer.json()["detail"]


def test_buttons_without_a_signing_secret_are_a_configuration_error(slack: SlackStandIn) -> None:
    from alerthub.hub import check_config

    problems = [str(p) for p in check_config(slack_config(slack, secret=None))]
    assert "channels.slack.buttons: needs integrations.slack.signing_secret to accept the presses" in problems


async def test_a_page_for_several_alerts_is_acknowledged_whole_from_its_button(
    clock: FakeClock, slack: SlackStandIn, db: Database
) -> None:
    hub = build_hub(paging(slack_config(slack), "slack"), clock=clock, db=db)
    async with delivery_client() as http:
        ids = await page_together(hub, http, 2)
    [page] = [r.json() for r in slack.requests if r.path.startswith("/services/") and "Page: " in r.json()["text"]]
    assert set(buttons(page)) == {"ack_all", "ack", "resolve", "silence"}  # Slack wants each action_id once

    app = create_app(hub, migrate=False, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        headers, body = SlackStandIn.press(SECRET, int(clock().timestamp()), payload(slack, page, "ack_all"))
        assert (await client.post(PATH, content=body, headers=headers)).status_code == 200
    [update] = await until_answered(slack, 1)
    assert update["text"] == "All acknowledged by alice"
    for alert_id in ids:
        alert = (await hub.alerts.get(alert_id)).alert
        assert alert.state.value == "acknowledged" and alert.acknowledged_by == "alice via slack"


async def test_a_presser_whose_name_holds_a_nul_is_recorded_with_a_replacement_character(
    hub: Hub, clock: FakeClock, slack: SlackStandIn, client: httpx.AsyncClient
) -> None:
    # PostgreSQL's text cannot hold U+0000: the name goes into the alert's history.
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    pressed = payload(slack, await posted_message(hub, slack), "ack", "U0MALLORY")
    pressed["user"]["username"] = "mal\u0000lory"
    headers, body = SlackStandIn.press(SECRET, int(clock().timestamp()), pressed)
    assert (await client.post(PATH, content=body, headers=headers)).status_code == 200
    detail = (await client.get(f"/api/alerts/{alert_id}")).json()
    assert detail["state"] == "acknowledged" and detail["acknowledged_by"] == "slack:mal\ufffdlory via slack"
