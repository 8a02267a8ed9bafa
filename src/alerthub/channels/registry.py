"""Channel type -> class. Adding a channel is one module (its class, config model, message style, pace
and width) and one line here."""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce
from operator import or_
from typing import Annotated, Any

from pydantic import Field, ValidationError

from alerthub.channels.apprise import AppriseChannel
from alerthub.channels.base import Channel, ChannelSettings
from alerthub.channels.discord import DiscordChannel
from alerthub.channels.email import EmailChannel
from alerthub.channels.message import MessageStyle
from alerthub.channels.pagerduty import PagerDutyChannel
from alerthub.channels.slack import SlackChannel
from alerthub.channels.telegram import TelegramChannel
from alerthub.channels.webhook import WebhookChannel
from alerthub.config.models import ChannelEntry
from alerthub.errors import ConfigError, Problem

CHANNEL_TYPES: dict[str, type[Channel]] = {
    cls.kind: cls
    for cls in (
        DiscordChannel,
        SlackChannel,
        WebhookChannel,
        EmailChannel,
        TelegramChannel,
        AppriseChannel,
        PagerDutyChannel,
    )
}

# The shape of a `channels[]` entry of any known type, for tools that want it whole (a schema).
ChannelConfig: Any = Annotated[
    reduce(or_, (cls.config_model for cls in CHANNEL_TYPES.values())), Field(discriminator="type")
]
_SHARED = frozenset(ChannelEntry.model_fields)  # the config model checks these already


def build_channel(entry: ChannelEntry) -> Channel:
    """The channel an entry configures; ConfigError (at `channels.<name>`) when the entry does not fit
    its type's model or the channel refuses it (an Apprise URL Apprise does not understand)."""
    config = channel_config(entry)
    return CHANNEL_TYPES[config.type](config)  # type: ignore[call-arg]


def message_style(kind: str) -> MessageStyle:
    return CHANNEL_TYPES[kind].style


def channel_config(entry: ChannelEntry) -> ChannelSettings:
    """The entry as its type's own config model, its own keys checked; ConfigError at
    `channels.<name>...` for an unknown type or a key that does not fit."""
    if isinstance(entry, ChannelSettings):
        return entry
    config, problems = _validate(entry.model_dump(by_alias=True), f"channels.{entry.name}")
    if config is None:
        raise ConfigError(problems)
    return config


def check_entries(entries: object) -> list[Problem]:
    """What is wrong with raw `channels[]` entries beyond the keys every type shares (the config model
    reports those), each at `channels[i]...`: a missing or misspelt key, an unknown type."""
    if not isinstance(entries, list):
        return []
    problems: list[Problem] = []
    for i, raw in enumerate(entries):
        if isinstance(raw, Mapping) and isinstance(raw.get("type"), str):
            problems += _validate(raw, f"channels[{i}]")[1]
    return problems


def unknown_type(kind: str) -> str:
    return f"unknown channel type {kind!r}; the known types are {', '.join(CHANNEL_TYPES)}"


def _validate(raw: Mapping[str, Any], where: str) -> tuple[ChannelSettings | None, list[Problem]]:
    cls = CHANNEL_TYPES.get(raw["type"])
    if cls is None:
        return None, [Problem(where, unknown_type(raw["type"]))]
    try:
        return cls.config_model.model_validate(raw), []
    except ValidationError as exc:
        return None, [_problem(where, e) for e in exc.errors() if not (e["loc"] and e["loc"][0] in _SHARED)]


def _problem(where: str, error: Mapping[str, Any]) -> Problem:
    path = "".join(f"[{item}]" if isinstance(item, int) else f".{item}" for item in error["loc"])
    message = "unknown key (check the spelling)" if error["type"] == "extra_forbidden" else error["msg"]
    return Problem(where + path, str(message))
