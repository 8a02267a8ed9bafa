"""Acknowledge, Resolve and Silence as Telegram inline buttons, against the Bot API stand-in: the message
carries them, a press read through getUpdates acts as the person whose chat it came from, is answered
with answerCallbackQuery and the message edited to say who did what (its formatting kept, its buttons
gone); a press that no longer applies, is too old or names no alert is answered with why and changes
nothing; a confirmed update is not read twice."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from alerthub.channels.http import HttpClient
from alerthub.config.models import Config
from alerthub.delivery.action_links import stored_codec
from alerthub.domain.action_token import Action
from alerthub.hub import Hub, build_hub, check_config
from alerthub.services.actions import ActionService
from alerthub.services.silences import SilenceService
from alerthub.services.telegram_presses import TelegramPresses, bots_of
from alerthub.store.database import Database
from support.clock import FakeClock
from support.pipeline import dispatcher, fire, page_together, paging
from support.standins import TelegramStandIn
from support.waiting import eventually

ALICE = 4242


@pytest.fixture
def telegram(clock: FakeClock) -> Iterator[TelegramStandIn]:
    server = TelegramStandIn(now=lambda: clock().timestamp(), limit=100)
    yield server
    server.close()


def telegram_config(telegram: TelegramStandIn, *, poll: bool = True, buttons: bool = True) -> Config:
    channel = {
        "name": "tg", "type": "telegram", "bot_token": telegram.token, "chat_id": "-100200",
        "base_url": telegram.base_url, "buttons": buttons,
    }  # fmt: skip
    return Config.model_validate(
        {
            "server": {"public_url": "http://hub.test"},
            "channels": [channel],
            "people": [{"name": "alice", "telegram_chat_id": ALICE}],
            "route": {"group_wait": "0s"},
            "rules": [{"name": "disk_full", "thresholds": {"critical": 90}}],
            "integrations": {"telegram": {"poll_updates": poll}},
        }
    )


@pytest.fixture
def config(telegram: TelegramStandIn) -> Config:
    return telegram_config(telegram)


def presses(hub: Hub) -> TelegramPresses:
    codec = stored_codec(hub.db, hub.config.auth, hub.clock)
    actions = ActionService(lambda: hub.alerts, SilenceService(hub.db, hub.clock), codec, hub.clock)
    [bot] = bots_of(hub.config)
    return TelegramPresses(
        bot, actions, hub.oncall.roster, hub.db, hub.clock, hub.metrics, ttl=timedelta(hours=24), owner="test"
    )


async def sent_buttons(hub: Hub, telegram: TelegramStandIn, http: HttpClient) -> dict[str, str]:
    await dispatcher(hub).run_once()
    await hub.delivery.tick(http)
    [row] = telegram.sent[-1]["reply_markup"]["inline_keyboard"]
    return {b["callback_data"].split(":")[0]: b["callback_data"] for b in row}


async def test_a_press_acknowledges_as_the_person_and_edits_the_message(
    hub: Hub, clock: FakeClock, telegram: TelegramStandIn, http: HttpClient
) -> None:
    assert "telegram-buttons-0" in hub.background
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    buttons = await sent_buttons(hub, telegram, http)
    assert set(buttons) == {"ack", "resolve", "silence"}
    for action, data in buttons.items():  # the alert, its episode, the expiry, a signature
        assert re.fullmatch(rf"{action}:{alert_id}\.1\.[0-9a-z]+\.[A-Za-z0-9_-]{{16}}", data)
        assert len(data.encode()) <= 64
    now = int(clock().timestamp())
    telegram.press(1, buttons["ack"], ALICE, "alice", date=now)
    pressed = telegram.updates[-1]["callback_query"]["id"]
    reader = presses(hub)
    assert await reader.poll_once(http, wait=0) == 1
    alert = (await hub.alerts.get(alert_id)).alert
    assert alert.state.value == "acknowledged" and alert.acknowledged_by == "alice via telegram"
    assert telegram.answered[-1] == {"callback_query_id": pressed, "text": "Acknowledged by alice"}
    [edit] = telegram.edited
    assert edit["chat_id"] == "-100200" and edit["message_id"] == 1
    assert edit["text"].endswith("\n\nAcknowledged by alice") and "reply_markup" not in edit
    assert edit["entities"] == [{"type": "bold", "offset": 0, "length": 5}]  # the message's formatting stays

    assert await reader.poll_once(http, wait=0) == 0  # confirmed: not read again
    telegram.press(1, buttons["ack"], 999, "mallory", date=now)
    await reader.poll_once(http, wait=0)
    assert telegram.answered[-1]["show_alert"] is True
    assert "already acknowledged by alice via telegram" in telegram.answered[-1]["text"]
    assert len(telegram.edited) == 1


@pytest.mark.parametrize(
    "case", ["message too old", "button expired", "no such alert", "earlier episode", "unsigned", "forged"]
)
async def test_a_press_that_cannot_act_is_answered_and_changes_nothing(
    hub: Hub, clock: FakeClock, telegram: TelegramStandIn, http: HttpClient, case: str
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    buttons = await sent_buttons(hub, telegram, http)
    other = await fire(hub, "disk_full", 97.0, host="web-2")
    codec = await stored_codec(hub.db, hub.config.auth, hub.clock)()
    date = int(clock().timestamp())
    ref = buttons["resolve"].removeprefix("resolve:")
    data, said = buttons["resolve"], "not valid"
    if case == "message too old":
        date, said = date - 25 * 3600, "expired"
    elif case == "button expired":  # its own signed expiry, whatever the message's date says
        clock.advance(hours=25)
        date, said = int(clock().timestamp()), "expired"
    elif case == "no such alert":
        data, said = f"resolve:{codec.button(999999, 1, Action.RESOLVE, date + 60)}", "999999"
    elif case == "earlier episode":
        data, said = f"resolve:{codec.button(alert_id, 7, Action.RESOLVE, date + 60)}", "fired again"
    elif case == "unsigned":  # as buttons were made before they were signed
        data, said = f"resolve:{alert_id}.1", "earlier alerthub"
    elif case == "forged":  # a client of its own puts another alert's id in a genuine button's data
        data = f"resolve:{other}.{ref.split('.', 1)[1]}"
    telegram.press(1, data, ALICE, "alice", date=date)
    assert await presses(hub).poll_once(http, wait=0) == 1
    assert telegram.answered[-1]["show_alert"] is True
    assert said in telegram.answered[-1]["text"]
    for alert in (alert_id, other):
        assert (await hub.alerts.get(alert)).alert.state.value == "firing"
    assert telegram.edited == []


def test_buttons_and_polling_go_together(telegram: TelegramStandIn) -> None:
    assert "channels.tg.buttons: needs integrations.telegram.poll_updates: true to read the presses" in [
        str(p) for p in check_config(telegram_config(telegram, poll=False))
    ]
    assert "integrations.telegram.poll_updates: no Telegram channel has buttons: true to press" in [
        str(p) for p in check_config(telegram_config(telegram, buttons=False))
    ]


async def test_the_hubs_loop_reads_presses_until_stopped(
    hub: Hub, clock: FakeClock, telegram: TelegramStandIn, http: HttpClient
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    buttons = await sent_buttons(hub, telegram, http)
    telegram.press(1, buttons["resolve"], ALICE, "alice", date=int(clock().timestamp()))
    stop = asyncio.Event()
    loop = asyncio.create_task(hub.background["telegram-buttons-0"](stop))

    async def resolved() -> bool:
        return (await hub.alerts.get(alert_id)).alert.state.value == "resolved"

    await eventually(resolved)
    stop.set()
    await asyncio.wait_for(loop, 5)
    alert = (await hub.alerts.get(alert_id)).alert
    assert alert.state.value == "resolved"
    assert telegram.answered[-1]["text"] == "Resolved by alice"


async def test_a_page_for_several_alerts_is_acknowledged_whole_from_its_button(
    clock: FakeClock, telegram: TelegramStandIn, http: HttpClient, db: Database
) -> None:
    """Three alerts escalate together: alice's page, in her own chat, has one more button that
    acknowledges all three, within Telegram's 64 bytes."""
    hub = build_hub(paging(telegram_config(telegram), "tg"), clock=clock, db=db)
    ids = await page_together(hub, http, 3)
    [page] = [m for m in telegram.sent if m["chat_id"] == str(ALICE)]
    [[whole], alone] = page["reply_markup"]["inline_keyboard"]  # in a row of its own, above the first alert's
    assert [b["callback_data"].split(":")[0] for b in alone] == ["ack", "resolve", "silence"]
    data = whole["callback_data"]
    assert len(data.encode()) <= 64 and "Acknowledge all 3" in page["text"]
    telegram.press(telegram.sent.index(page) + 1, data, ALICE, "alice", date=int(clock().timestamp()))
    assert await presses(hub).poll_once(http, wait=0) == 1
    assert telegram.answered[-1]["text"] == "All acknowledged by alice"
    for alert_id in ids:
        alert = (await hub.alerts.get(alert_id)).alert
        assert alert.state.value == "acknowledged" and alert.acknowledged_by == "alice via telegram"
