"""Channel type -> class. Adding a channel is one module and one line here."""

from __future__ import annotations

from alerthub.channels.apprise import AppriseChannel
from alerthub.channels.base import Channel
from alerthub.channels.discord import DiscordChannel
from alerthub.channels.email import EmailChannel
from alerthub.channels.slack import SlackChannel
from alerthub.channels.telegram import TelegramChannel
from alerthub.channels.webhook import WebhookChannel
from alerthub.config.models import ChannelConfig

CHANNEL_TYPES: dict[str, type[Channel]] = {
    "discord": DiscordChannel,
    "slack": SlackChannel,
    "telegram": TelegramChannel,
    "webhook": WebhookChannel,
    "email": EmailChannel,
    "apprise": AppriseChannel,
}


def build_channel(config: ChannelConfig) -> Channel:
    cls = CHANNEL_TYPES[config.type]
    return cls(config)  # type: ignore[call-arg]
