"""Channels: each sends one rendered message to one service, or raises DeliveryError. They never
sleep, retry or touch the database; `alerthub.delivery` owns that."""

from alerthub.channels.base import Channel, Editable, SendResult, classify_http
from alerthub.channels.message import AlertView, Link, RenderedMessage
from alerthub.channels.registry import CHANNEL_TYPES, build_channel

__all__ = [
    "CHANNEL_TYPES",
    "AlertView",
    "Channel",
    "Editable",
    "Link",
    "RenderedMessage",
    "SendResult",
    "build_channel",
    "classify_http",
]
