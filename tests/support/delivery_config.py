"""A configuration with the Discord and SMTP stand-ins as channels, for delivery tests."""

from __future__ import annotations

from alerthub.config.models import Config
from support.standins import DiscordStandIn, SMTPStandIn

DEFAULT_RECEIVERS = [{"name": "default", "channels": ["discord"], "fallback": ["mail"], "fallback_after": "5m"}]


def stand_in_channels(discord: DiscordStandIn, smtp: SMTPStandIn) -> list[dict[str, object]]:
    """`discord` and `mail`: the two stand-ins as channels (mail to ops@example.com)."""
    return [
        {"name": "discord", "type": "discord", "url": discord.url()},
        {
            "name": "mail",
            "type": "email",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "username": SMTPStandIn.USER,
            "password": SMTPStandIn.PASSWORD,
            "from": "alerthub@example.com",
            "to": ["ops@example.com"],
            "validate_certs": False,
        },
    ]


def channels_config(
    discord: DiscordStandIn, smtp: SMTPStandIn, *, receivers: object = None, route: object = None, **delivery: object
) -> Config:
    return Config.model_validate(
        {
            "server": {"public_url": "http://hub.test"},
            "channels": stand_in_channels(discord, smtp),
            "receivers": receivers or DEFAULT_RECEIVERS,
            "route": route or {},
            "delivery": {"max_attempts": 4, "initial_backoff": "2s", "max_backoff": "1m", **delivery},
        }
    )
