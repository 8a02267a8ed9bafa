"""Channel types, one module each, sending one message or raising DeliveryError; imports config, domain, errors only."""

from alerthub.channels.base import Channel, ChannelSettings, Editable, Pace, SendResult, classify_http
from alerthub.channels.message import AlertView, Link, MessageStyle, RenderedMessage
from alerthub.channels.registry import CHANNEL_TYPES, build_channel

__all__ = [
    "CHANNEL_TYPES",
    "AlertView",
    "Channel",
    "ChannelSettings",
    "Editable",
    "Link",
    "MessageStyle",
    "Pace",
    "RenderedMessage",
    "SendResult",
    "build_channel",
    "classify_http",
]
