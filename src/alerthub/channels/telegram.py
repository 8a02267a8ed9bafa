"""Telegram Bot API sendMessage in HTML parse mode. The body template autoescapes, and a message
over 4096 characters is cut without leaving a broken tag or entity."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import SecretStr, field_validator

from alerthub.channels.base import ChannelSettings, Pace, PageStyle, SendResult, ThreadStyle, request
from alerthub.channels.http import HttpClient
from alerthub.channels.links import WebUrl
from alerthub.channels.message import MessageStyle, RenderedMessage
from alerthub.channels.redact import hider

LIMIT = 4096
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


class TelegramChannelConfig(ChannelSettings):
    type: Literal["telegram"]
    bot_token: SecretStr
    chat_id: str
    base_url: WebUrl = "https://api.telegram.org"
    # Acknowledge / Resolve / Silence as inline keyboard buttons, read back by polling getUpdates
    # (needs integrations.telegram.poll_updates: true).
    buttons: bool = False

    @field_validator("chat_id", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class TelegramChannel:
    kind: ClassVar[str] = "telegram"
    config_model: ClassVar[type[ChannelSettings]] = TelegramChannelConfig
    threads: ClassVar[ThreadStyle] = "reply"
    style: ClassVar[MessageStyle] = MessageStyle("telegram.html.j2", html=True, button_refs=True)
    pace: ClassVar[Pace] = Pace(1 / 3, 3)  # about 1 a second per chat, 20 a minute in a group
    in_flight: ClassVar[int] = 1
    pages_by: ClassVar[PageStyle] = "direct"

    def __init__(self, config: TelegramChannelConfig) -> None:
        self.config = config
        self.name = config.name
        self._hide = hider(config)  # no secret of ours leaves in a remote's error text
        self._token = config.bot_token.get_secret_value()

    def describe(self) -> dict[str, str]:
        return {"base_url": self.config.base_url, "chat_id": self.config.chat_id, "bot_token": "***"}

    async def send(self, message: RenderedMessage, http: HttpClient) -> SendResult:
        if not message.recipients:
            return await self._post(self.body(message), http)
        # A page goes to the chat of each person it pages, not to the channel's own chat.
        result = SendResult(None)
        for chat in message.recipients:
            result = await self._post({**self.body(message), "chat_id": chat}, http)
        return result

    async def update(self, message: RenderedMessage, external_id: str, http: HttpClient) -> SendResult:
        body = self.body(message)
        # A reply keeps the alert's story in one place; if the first message is gone, send anyway.
        body["reply_parameters"] = {"message_id": int(external_id), "allow_sending_without_reply": True}
        return await self._post(body, http)

    async def _post(self, body: dict[str, object], http: HttpClient) -> SendResult:
        url = f"{self.config.base_url.rstrip('/')}/bot{self._token}/sendMessage"
        timeout = self.config.timeout.total_seconds()
        response = await request(http, "POST", url, json_body=body, seconds=timeout, hide=self._hide)
        data = response.json() if "json" in response.headers.get("Content-Type", "") else None
        result = data.get("result") if isinstance(data, dict) else None
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return SendResult(str(message_id) if message_id is not None else None)

    def body(self, message: RenderedMessage) -> dict[str, object]:
        body: dict[str, object] = {
            "chat_id": self.config.chat_id,
            "text": truncate_html(message.body, LIMIT),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        pressable = [item for item in message.links if self.config.buttons and item.action and item.ref]
        # "Acknowledge all N" gets a row of its own: four buttons in one row cut its label short.
        rows = [
            [
                {"text": item.label, "callback_data": f"{item.action}:{item.ref}"}
                for item in pressable
                if whole == (item.action == "ack_all")
            ]
            for whole in (True, False)
        ]
        if pressable:
            body["reply_markup"] = {"inline_keyboard": [row for row in rows if row]}
        return body


def truncate_html(text: str, limit: int) -> str:
    """Cut HTML to `limit` characters, dropping a half-written tag or entity and closing open tags.
    The raw length is at least the visible length Telegram counts, so the result always fits."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 40]
    cut = re.sub(r"<[^>]*$", "", cut)
    cut = re.sub(r"&[#a-zA-Z0-9]*$", "", cut)
    open_tags: list[str] = []
    for closing, name in _TAG.findall(cut):
        if closing and open_tags and open_tags[-1] == name.lower():
            open_tags.pop()
        elif not closing:
            open_tags.append(name.lower())
    return cut + "…" + "".join(f"</{name}>" for name in reversed(open_tags))
