"""Configuration checks only delivery can make: a channel's template overrides compile and its
Apprise URLs are ones Apprise understands. `alerthub check-config` and start-up report them
with their location, like every other configuration problem."""

from __future__ import annotations

from alerthub.channels import build_channel
from alerthub.config.models import Config
from alerthub.delivery.render import Renderer
from alerthub.errors import ConfigError, Problem


def check_channels(config: Config) -> list[Problem]:
    problems: list[Problem] = []
    for i, channel in enumerate(config.channels):
        named, indexed = f"channels.{channel.name}", f"channels[{i}]"
        for build in (Renderer, build_channel):
            try:
                build(channel)
            except ConfigError as exc:
                problems += [Problem(p.location.replace(named, indexed, 1), p.message) for p in exc.problems]
    return problems
