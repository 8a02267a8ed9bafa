"""Slack incoming webhooks: `text` (the notification fallback) plus Block Kit blocks. Webhooks
answer errors with a status code and a plain-text body such as `invalid_payload`."""

from __future__ import annotations

from typing import ClassVar, Literal

from alerthub.channels.base import (
    ChannelSettings,
    Pace,
    PageStyle,
    SendResult,
    ThreadStyle,
    redact_url,
    request,
    truncate,
)
from alerthub.channels.http import HttpClient
from alerthub.channels.links import SecretWebUrl, usable_url
from alerthub.channels.message import Link, MessageStyle, RenderedMessage
from alerthub.channels.redact import hider

# Block Kit limits: header text 150, section text 3000, 10 fields of 2000, 50 blocks.
HEADER = 150
SECTION = 3000
FIELDS = 10
FIELD = 2000


def escape(text: str) -> str:
    """Slack's three control characters; escaping `<` also stops `<!channel>` pings from outside text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackChannelConfig(ChannelSettings):
    type: Literal["slack"]
    url: SecretWebUrl
    # Acknowledge / Resolve / Silence as Block Kit buttons instead of links: needs a Slack app whose
    # interactivity Request URL is alerthub's /webhooks/slack/interactions, and its signing secret.
    buttons: bool = False


def _button(item: Link) -> dict[str, object]:
    """The action's signed token rides in `value`; Slack posts it back with the press."""
    button: dict[str, object] = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(item.label, 75)},
        "action_id": item.action,
        "value": item.token,
    }
    if item.action == "ack":
        button["style"] = "primary"
    return button


def link(item: Link) -> str:
    """`<url|label>`, the URL escaped as Slack asks (`&amp;`); a URL that could end the link early
    (`>`, `|`, a space) is not linked but written out as escaped text."""
    if usable_url(item.url):
        return f"<{escape(item.url)}|{escape(item.label)}>"
    return escape(f"{item.label}: {item.url}")


class SlackChannel:
    kind: ClassVar[str] = "slack"
    config_model: ClassVar[type[ChannelSettings]] = SlackChannelConfig
    threads: ClassVar[ThreadStyle] = "none"
    style: ClassVar[MessageStyle] = MessageStyle("slack.mrkdwn.j2", escape=escape)
    pace: ClassVar[Pace] = Pace(1.0, 3)  # incoming webhooks: 1 a second, short bursts allowed
    in_flight: ClassVar[int] = 1
    pages_by: ClassVar[PageStyle] = "mention"

    def __init__(self, config: SlackChannelConfig) -> None:
        self.config = config
        self.name = config.name
        self._hide = hider(config)  # no secret of ours leaves in a remote's error text
        self._url = config.url.get_secret_value()

    def describe(self) -> dict[str, str]:
        return {"url": redact_url(self._url)}

    async def send(self, message: RenderedMessage, http: HttpClient) -> SendResult:
        timeout = self.config.timeout.total_seconds()
        await request(http, "POST", self._url, json_body=self.body(message), seconds=timeout, hide=self._hide)
        return SendResult(None)

    def _buttons(self, message: RenderedMessage) -> list[dict[str, object]]:
        if not self.config.buttons:
            return []
        return [_button(item) for item in message.links if item.action and item.token]

    def body(self, message: RenderedMessage) -> dict[str, object]:
        # A page mentions the people it is for (`<@U…>`, which Slack notifies); nothing else mentions anyone.
        mentions = " ".join(f"<@{u}>" for u in message.recipients)
        section = f"{mentions}\n{message.body}" if mentions else message.body
        blocks: list[dict[str, object]] = [
            {"type": "header", "text": {"type": "plain_text", "text": truncate(message.title, HEADER)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(section, SECTION)}},
        ]
        if len(message.alerts) == 1:
            facts = message.alerts[0].facts[:FIELDS]
            fields = [{"type": "mrkdwn", "text": truncate(f"*{escape(k)}*\n{escape(v)}", FIELD)} for k, v in facts]
            if fields:
                blocks.append({"type": "section", "fields": fields})
        buttons = self._buttons(message)
        shown = [item for item in message.links if not (buttons and item.action)]
        if shown:
            links = " · ".join(link(item) for item in shown)
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(links, SECTION)}]})
        if buttons:
            blocks.append({"type": "actions", "elements": buttons})
        text = escape(message.title)
        return {"text": truncate(f"{mentions} {text}" if mentions else text, SECTION), "blocks": blocks}
