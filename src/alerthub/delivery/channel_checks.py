"""Checking the configured channels, which only the channel types and delivery can do: each entry
against its type's own keys, its template overrides compile, its Apprise URLs (and the people's own) are
ones Apprise understands. `alerthub check-config` and start-up report every problem with its location, like every
other configuration problem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alerthub.channels.apprise import url_problems
from alerthub.channels.registry import CHANNEL_TYPES, build_channel, channel_config, check_entries, unknown_type
from alerthub.config.models import Config
from alerthub.delivery.compose import Renderer
from alerthub.errors import ConfigError, Problem


def check_channels(config: Config) -> list[Problem]:
    """Every problem of `config.channels`, at `channels[i]...`."""
    problems: list[Problem] = []
    for i, channel in enumerate(config.channels):
        named, indexed = f"channels.{channel.name}", f"channels[{i}]"
        if channel.type not in CHANNEL_TYPES:
            problems.append(Problem(indexed, unknown_type(channel.type)))
            continue
        for build in (Renderer, build_channel):
            try:
                build(channel)
            except ConfigError as exc:
                problems += [Problem(p.location.replace(named, indexed, 1), p.message) for p in exc.problems]
    return problems


def check_people_contacts(config: Config) -> list[Problem]:
    """A person's own Apprise URLs are checked as a channel's are: a page to one Apprise cannot read
    would fail at 3 a.m."""
    return [p for i, person in enumerate(config.people) for p in url_problems(person.apprise, f"people[{i}].apprise")]


def check_channel_entries(data: Mapping[str, Any]) -> list[Problem]:
    """The channel entries' own keys in a raw configuration whose other parts failed validation, so
    that every problem is reported at once."""
    return check_entries(data.get("channels"))


def with_channel_models(config: Config) -> Config:
    """`config` with each channel entry as its type's own config model (checked already)."""
    return config.model_copy(update={"channels": [channel_config(c) for c in config.channels]})
