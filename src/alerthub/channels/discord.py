"""Discord webhooks: embeds coloured by severity, every documented size limit enforced by
truncation, and no mention parsed unless the channel names who to ping."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field

from alerthub.channels.base import (
    ChannelSettings,
    Pace,
    PageStyle,
    SendResult,
    ThreadStyle,
    budget_wait,
    redact_url,
    request,
    truncate,
)
from alerthub.channels.http import HttpAnswer, HttpClient
from alerthub.channels.links import SecretWebUrl, usable_url
from alerthub.channels.message import AlertView, Link, MessageStyle, RenderedMessage
from alerthub.channels.redact import hider
from alerthub.domain.severity import Severity
from alerthub.errors import DeliveryError

# Discord's documented limits (Execute Webhook, Embed Limits).
CONTENT = 2000
EMBEDS = 10
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
TOTAL = 6000

COLOURS = {
    Severity.CRITICAL: 0xE74C3C,
    Severity.HIGH: 0xE67E22,
    Severity.WARNING: 0xF1C40F,
    Severity.INFO: 0x3498DB,
}
RESOLVED = 0x2ECC71
ACKNOWLEDGED = 0x95A5A6

Embed = dict[str, object]

_PINGS = re.compile(r"(?<=<)(?=[@#])|(?<=@)(?=everyone|here)")
ZERO_WIDTH = "\u200b"


class DiscordChannelConfig(ChannelSettings):
    type: Literal["discord"]
    url: SecretWebUrl
    mention_roles: list[str] = Field(default_factory=list)
    mention_users: list[str] = Field(default_factory=list)
    username: str | None = None


class DiscordChannel:
    kind: ClassVar[str] = "discord"
    config_model: ClassVar[type[ChannelSettings]] = DiscordChannelConfig
    threads: ClassVar[ThreadStyle] = "edit"
    style: ClassVar[MessageStyle] = MessageStyle("discord.md.j2")
    # 5 requests per 2 s per webhook and, undocumented, about 30 messages a minute per channel.
    pace: ClassVar[Pace] = Pace(0.5, 5)
    in_flight: ClassVar[int] = 1
    pages_by: ClassVar[PageStyle] = "mention"

    def __init__(self, config: DiscordChannelConfig) -> None:
        self.config = config
        self.name = config.name
        self._hide = hider(config)  # no secret of ours leaves in a remote's error text
        self._url = config.url.get_secret_value()

    def describe(self) -> dict[str, str]:
        pinged = len(self.config.mention_roles) + len(self.config.mention_users)
        return {"url": redact_url(self._url), "mentions": str(pinged)}

    async def send(self, message: RenderedMessage, http: HttpClient) -> SendResult:
        # wait=true makes Discord answer with the saved message (its id lets us edit it later);
        # without it a message Discord fails to save is dropped with a 204 and no error.
        response = await self._call(http, "POST", self._url, self.body(message), {"wait": "true"})
        return SendResult(_message_id(response), budget_wait(response))

    async def update(self, message: RenderedMessage, external_id: str, http: HttpClient) -> SendResult:
        url = f"{self._url.rstrip('/')}/messages/{external_id}"
        try:
            response = await self._call(http, "PATCH", url, self.body(message), None)
        except DeliveryError as exc:
            if exc.status != 404:
                raise
            # The first message was deleted by someone: say it anew rather than not at all.
            return await self.send(message, http)
        return SendResult(external_id, budget_wait(response))

    async def _call(
        self, http: HttpClient, method: str, url: str, body: dict[str, object], params: dict[str, str] | None
    ) -> HttpAnswer:
        try:
            return await request(
                http, method, url, json_body=body, params=params, seconds=self._timeout, hide=self._hide
            )
        except DeliveryError as exc:
            if exc.status == 404 and method == "POST":
                raise DeliveryError(
                    "HTTP 404: the Discord webhook no longer exists (deleted); fix the channel's url",
                    retryable=False,
                    status=404,
                ) from exc
            raise

    @property
    def _timeout(self) -> float:
        return self.config.timeout.total_seconds()

    def body(self, message: RenderedMessage) -> dict[str, object]:
        roles, users = self._pinged(message)
        mentions = [f"<@&{r}>" for r in roles] + [f"<@{u}>" for u in users]
        title = quiet(message.title)
        content = " ".join([*mentions, title]) if mentions and not message.is_follow_up else title
        body: dict[str, object] = {
            "content": truncate(content, CONTENT),
            "embeds": fit_embeds(embeds(message)),
            # Text from outside (an error title saying "@everyone") must never ping anybody; only the
            # roles and users named in the channel's config, or the people a page is for, may be pinged.
            "allowed_mentions": {"parse": [], "roles": roles, "users": users},
        }
        if self.config.username:
            body["username"] = truncate(self.config.username, 80)
        return body

    def _pinged(self, message: RenderedMessage) -> tuple[list[str], list[str]]:
        """Who the message may ping: a page exactly the people it pages, anything else the channel's own."""
        if message.recipients:
            return [], list(message.recipients)
        return list(self.config.mention_roles), list(self.config.mention_users)


def quiet(text: str) -> str:
    """Outside text in `content` pings nobody, not even a role the channel may ping (a title saying
    `<@&555>` on a follow-up would): a zero-width space after `<` or `@` leaves a mention as text.
    `allowed_mentions` stays the real guard; this keeps it from being the only one."""
    return _PINGS.sub(ZERO_WIDTH, text)


def link(item: Link) -> str:
    """`[label](url)` that no label or URL can end early: brackets in the label are escaped and
    parentheses in the URL percent-encoded (the same URL); an unusable URL is no link at all."""
    if not usable_url(item.url):
        return ""
    label = re.sub(r"([\\\[\]])", r"\\\1", item.label)
    return f"[{label}]({item.url.replace('(', '%28').replace(')', '%29')})"


def colour(message: RenderedMessage) -> int:
    if message.status == "resolved":
        return RESOLVED
    if message.status == "acknowledged":
        return ACKNOWLEDGED
    return COLOURS[message.severity]


def embeds(message: RenderedMessage) -> list[Embed]:
    main: Embed = {
        "title": truncate(message.title, TITLE),
        "description": truncate(message.body, DESCRIPTION),
        "color": colour(message),
        "footer": {"text": truncate(message.footer, FOOTER)},
    }
    first = message.alerts[0] if message.alerts else None
    if first and usable_url(first.source_url):
        main["url"] = first.source_url
    if len(message.alerts) == 1 and first:
        main["fields"] = _fields(first)
    else:
        main["fields"] = [_summary_field(a) for a in message.alerts[:FIELDS]]
    return [main]


def _fields(alert: AlertView) -> list[dict[str, object]]:
    fields: list[dict[str, object]] = [
        {"name": truncate(name, FIELD_NAME), "value": truncate(value or "-", FIELD_VALUE), "inline": True}
        for name, value in alert.facts
    ]
    if alert.alert_url:
        fields.append({"name": "alerthub", "value": truncate(alert.alert_url, FIELD_VALUE), "inline": False})
    return fields[:FIELDS]


def _summary_field(alert: AlertView) -> dict[str, object]:
    value = " · ".join(v for _, v in alert.facts[:3])
    if alert.alert_url:
        value += f"\n{alert.alert_url}"
    return {"name": truncate(alert.headline, FIELD_NAME), "value": truncate(value or "-", FIELD_VALUE), "inline": False}


def fit_embeds(items: list[Embed]) -> list[Embed]:
    """Keep at most 10 embeds and 6000 characters across all of them: fields are dropped from the
    end first, then the description is cut, so the message is always accepted."""
    kept = items[:EMBEDS]
    while _total(kept) > TOTAL:
        largest = max(kept, key=_size)
        fields = largest.get("fields")
        if isinstance(fields, list) and fields:
            fields.pop()
            continue
        description = str(largest.get("description", ""))
        overflow = _total(kept) - TOTAL
        if len(description) > 1:
            largest["description"] = truncate(description, max(1, len(description) - overflow))
            continue
        kept.pop()
    return kept


def _size(embed: Embed) -> int:
    size = len(str(embed.get("title", ""))) + len(str(embed.get("description", "")))
    footer = embed.get("footer")
    if isinstance(footer, dict):
        size += len(str(footer.get("text", "")))
    fields = embed.get("fields")
    if isinstance(fields, list):
        size += sum(len(str(f.get("name", ""))) + len(str(f.get("value", ""))) for f in fields)
    return size


def _total(items: list[Embed]) -> int:
    return sum(_size(e) for e in items)


def _message_id(response: HttpAnswer) -> str | None:
    if response.status_code == 204 or not response.content:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return str(data["id"]) if isinstance(data, dict) and "id" in data else None
