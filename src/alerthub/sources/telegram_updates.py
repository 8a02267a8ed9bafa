"""`integrations.telegram`: presses of the inline keyboard buttons on alerthub's Telegram messages, read by
long polling the Bot API's `getUpdates`, so no public URL is needed:

    integrations:
      telegram:
        poll_updates: true

A button's `callback_data` is `<action>:<ref>`, the ref naming the alert, its episode and the expiry, and
signed (`ActionTokenCodec.button`: Telegram allows 64 bytes, too few for a whole token). Only Telegram
hands us the press, over the bot's own token, but a client of its own can put any data in a press of a
message it sees: the signature keeps it to the alerts the chat was sent buttons for. A press is a
`callback_query` update (Bot API, "CallbackQuery")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from alerthub.config.models import Config, Strict
from alerthub.errors import Problem
from alerthub.sources.contracts import Settings, json_object

_DATA = re.compile(r"^(ack|ack_all|resolve|silence):([0-9a-zA-Z._-]{1,57})$")


class TelegramConfig(Strict):
    poll_updates: bool = False


SETTINGS = Settings("telegram", TelegramConfig)


@dataclass(frozen=True, slots=True)
class TelegramPress:
    """One press. `text` and `entities`: the pressed message as Telegram gives it back (plain text and its
    formatting), so the edit that says who acted keeps it; `sent_at`: the message's Unix time."""

    callback_id: str
    action: str
    ref: str  # checked by `ActionTokenCodec.check_button`
    user_id: str
    user_name: str
    chat_id: str | None
    message_id: int | None
    text: str | None
    entities: tuple[Mapping[str, object], ...]
    sent_at: int | None


def presses(body: object) -> tuple[list[TelegramPress], int | None]:
    """The presses of alerthub buttons in a `getUpdates` answer, and the offset that confirms every update
    in it (None when it held none). Anything else (a message to the bot, a stranger's button) is skipped."""
    result = body.get("result") if isinstance(body, dict) else None
    updates = [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []
    ids = [u["update_id"] for u in updates if isinstance(u.get("update_id"), int)]
    found = [p for u in updates if (p := _press(u.get("callback_query"))) is not None]
    return found, (max(ids) + 1 if ids else None)


def _press(query: object) -> TelegramPress | None:
    if not isinstance(query, dict) or not isinstance(query.get("id"), str):
        return None
    data = _DATA.match(str(query.get("data") or ""))
    if data is None:
        return None
    user = json_object(query.get("from"))
    message = json_object(query.get("message"))
    chat = json_object(message.get("chat")).get("id")
    entities = message.get("entities")
    return TelegramPress(
        callback_id=query["id"],
        action=data.group(1),
        ref=data.group(2),
        user_id=str(user.get("id") or ""),
        user_name=str(user.get("username") or user.get("first_name") or user.get("id") or "someone"),
        chat_id=str(chat) if isinstance(chat, int | str) else None,
        message_id=message.get("message_id") if isinstance(message.get("message_id"), int) else None,
        text=message.get("text") if isinstance(message.get("text"), str) else None,
        entities=tuple(e for e in entities if isinstance(e, dict)) if isinstance(entities, list) else (),
        sent_at=message.get("date") if isinstance(message.get("date"), int) else None,
    )


def button_problems(config: Config) -> list[Problem]:
    """A Telegram channel with `buttons: true` needs the poller that reads its presses."""
    settings = config.integrations.entries().get("telegram")
    polling = isinstance(settings, dict) and settings.get("poll_updates") is True
    with_buttons = [c.name for c in config.channels if c.type == "telegram" and getattr(c, "buttons", False)]
    if polling and not with_buttons:
        return [Problem("integrations.telegram.poll_updates", "no Telegram channel has buttons: true to press")]
    return [
        Problem(f"channels.{name}.buttons", "needs integrations.telegram.poll_updates: true to read the presses")
        for name in with_buttons
        if not polling
    ]
