"""Alertmanager's `GET /api/v2/status`: the running configuration with its secrets hidden, the version,
when the process started, and the instances at work (`amtool config show`, `amtool cluster show`)."""

from __future__ import annotations

import os
import platform
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
import yaml
from pydantic import SecretStr

from alerthub import __version__
from alerthub.channels.registry import channel_config
from alerthub.config.models import Config
from alerthub.domain.clock import Clock
from alerthub.store.database import Database
from alerthub.store.open_alerts import live_lease_owners

SECRET = "<secret>"  # noqa: S105 - what Alertmanager writes in place of a secret
# Plain-text values that still are secrets: a webhook's `Authorization` header, say, or a PagerDuty
# routing key (`integrations.pagerduty.routing_keys[].key`: a credential once access control is on).
_SECRET_KEY = re.compile(r"(?i)authorization|token|secret|passw|credential|api[-_]?key|cookie|routing[-_]?key|^key$")


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    address: str


@dataclass(frozen=True, slots=True)
class Status:
    name: str
    peers: tuple[Peer, ...]
    original: str
    version: dict[str, str]
    started_at: datetime


def original_config(config: Config) -> str:
    """The configuration as YAML, every secret (SecretStr fields, secret-named keys, URL passwords)
    replaced by `<secret>`, empty keys left out. Channel entries are read as their types' own models
    first, so a channel's secrets are known as secrets."""
    dumped = config.model_dump(mode="python", by_alias=True, exclude_none=True)
    # Each entry by its own type's model; not `serialize_as_any` on the whole, which pydantic before
    # 2.12 refuses on this config ("Circular reference detected").
    dumped["channels"] = [
        channel_config(c).model_dump(mode="python", by_alias=True, exclude_none=True) for c in config.channels
    ]
    return yaml.safe_dump(_masked(dumped, ""), sort_keys=False, allow_unicode=True)


def _masked(value: Any, key: str) -> Any:
    if isinstance(value, SecretStr):
        return SECRET if value.get_secret_value() else ""
    if isinstance(value, dict):
        items = ((_text(k), _masked(v, _text(k))) for k, v in value.items())
        return {k: v for k, v in items if v not in ({}, [])}
    if isinstance(value, list | tuple):
        return [_masked(v, key) for v in value]
    if isinstance(value, timedelta):
        return duration_text(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        if value and _SECRET_KEY.search(key) and not key.endswith("_file"):
            return SECRET
        return _url_without_password(value)
    return value


def _text(key: Any) -> str:
    return str(key.value) if isinstance(key, Enum) else str(key)


def _url_without_password(value: str) -> str:
    if "://" not in value or "@" not in value:
        return value
    parts = urlsplit(value)
    if parts.password is None:
        return value
    netloc = f"{parts.username or ''}:{SECRET}@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def duration_text(span: timedelta) -> str:
    """`1h30m`, `45s`, `250ms`: what the configuration's duration fields read back."""
    millis = round(span.total_seconds() * 1000)
    if millis == 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, millis = divmod(millis, size)
        if count:
            out += f"{count}{unit}"
    return out


def version_info() -> dict[str, str]:
    """Alertmanager's `versionInfo` fields, filled with what a Python package knows about itself."""
    return {
        "version": __version__,
        "revision": os.environ.get("ALERTHUB_REVISION", "unknown"),
        "branch": os.environ.get("ALERTHUB_BRANCH", "unknown"),
        "buildUser": "alerthub",
        "buildDate": "unknown",
        "goVersion": f"python{platform.python_version()}",
    }


def this_instance() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class StatusService:
    def __init__(self, db: Database, clock: Clock, config: Config) -> None:
        self.db = db
        self.clock = clock
        self.config = config

    async def status(self) -> Status:
        me = Peer(this_instance(), f"{self.config.server.host}:{self.config.server.port}")
        async with self.db.read() as conn:
            owners = await live_lease_owners(conn, self.clock())
        others: dict[str, Peer] = {}
        for owner in owners:
            host, _, rest = owner.partition(":")
            name = f"{host}:{rest.partition(':')[0]}" if rest else owner
            if name != me.name:
                others.setdefault(name, Peer(name, host))
        peers = (me, *sorted(others.values(), key=lambda p: p.name))
        started = datetime.fromtimestamp(psutil.Process().create_time(), UTC)
        return Status(me.name, peers, original_config(self.config), version_info(), started)
