"""Slack incoming webhooks: `text` (the notification fallback) plus Block Kit blocks. Webhooks
answer errors with a status code and a plain-text body such as `invalid_payload`."""

from __future__ import annotations

from typing import ClassVar

import httpx

from alerthub.channels.base import SendResult, ThreadStyle, redact_url, request, truncate
from alerthub.channels.message import RenderedMessage
from alerthub.config.models import SlackChannelConfig

# Block Kit limits: header text 150, section text 3000, 10 fields of 2000, 50 blocks.
HEADER = 150
SECTION = 3000
FIELDS = 10
FIELD = 2000


def escape(text: str) -> str:
    """Slack's three control characters; escaping `<` also stops `<!channel>` pings from outside text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackChannel:
    kind: ClassVar[str] = "slack"
    threads: ClassVar[ThreadStyle] = "none"

    def __init__(self, config: SlackChannelConfig) -> None:
        self.config = config
        self.name = config.name
        self._url = config.url.get_secret_value()

    def describe(self) -> dict[str, str]:
        return {"url": redact_url(self._url)}

    async def send(self, message: RenderedMessage, http: httpx.AsyncClient) -> SendResult:
        timeout = self.config.timeout.total_seconds()
        await request(http, "POST", self._url, json_body=self.body(message), seconds=timeout)
        return SendResult(None)

    def body(self, message: RenderedMessage) -> dict[str, object]:
        blocks: list[dict[str, object]] = [
            {"type": "header", "text": {"type": "plain_text", "text": truncate(message.title, HEADER)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(message.body, SECTION)}},
        ]
        if len(message.alerts) == 1:
            facts = message.alerts[0].facts[:FIELDS]
            fields = [{"type": "mrkdwn", "text": truncate(f"*{escape(k)}*\n{escape(v)}", FIELD)} for k, v in facts]
            if fields:
                blocks.append({"type": "section", "fields": fields})
        if message.links:
            links = " · ".join(f"<{link.url}|{escape(link.label)}>" for link in message.links)
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(links, SECTION)}]})
        return {"text": truncate(escape(message.title), SECTION), "blocks": blocks}
