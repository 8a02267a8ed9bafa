"""Any service Apprise reaches, from a list of Apprise URLs. Apprise's notify is synchronous and
does its own HTTP, so it runs in a worker thread; it reports only success or failure, which we
treat as retryable (Apprise cannot tell us whether the cause was permanent)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr

from alerthub.channels.base import ChannelSettings, Pace, PageStyle, SendResult, ThreadStyle
from alerthub.channels.http import HttpClient
from alerthub.channels.message import MessageStyle, RenderedMessage
from alerthub.errors import ConfigError, DeliveryError, Problem, missing_extra

_TYPES = {"critical": "failure", "high": "failure", "warning": "warning", "info": "info"}


class AppriseChannelConfig(ChannelSettings):
    type: Literal["apprise"]
    urls: list[SecretStr] = Field(min_length=1)


NOT_UNDERSTOOD = "not a URL Apprise understands"


def url_problems(urls: list[SecretStr], where: str) -> list[Problem]:
    """The URLs Apprise does not understand, each at `where[i]`; the missing extra when it is not installed."""
    missing = missing_extra(where, "apprise", "apprise")
    if missing or not urls:
        return missing if urls else []
    _, _, refused = _loaded(url.get_secret_value() for url in urls)
    return [Problem(f"{where}[{i}]", NOT_UNDERSTOOD) for i in refused]


def _loaded(urls: Iterable[str]) -> tuple[Any, list[Any], list[int]]:
    """An Apprise holding every URL it understands, their plugins, and the positions of the others."""
    import apprise

    target, plugins, refused = apprise.Apprise(), [], []
    for i, url in enumerate(urls):
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            refused.append(i)
            continue
        target.add(plugin)
        plugins.append(plugin)
    return target, plugins, refused


class AppriseChannel:
    kind: ClassVar[str] = "apprise"
    config_model: ClassVar[type[ChannelSettings]] = AppriseChannelConfig
    threads: ClassVar[ThreadStyle] = "none"
    style: ClassVar[MessageStyle] = MessageStyle()
    pace: ClassVar[Pace] = Pace(1.0, 5)
    in_flight: ClassVar[int] = 1
    pages_by: ClassVar[PageStyle] = "direct"

    def __init__(self, config: AppriseChannelConfig) -> None:
        # Apprise and the requests stack under it weigh on an idle hub's memory: loaded by hubs that
        # have an Apprise channel only, and installed by the `apprise` extra.
        missing = missing_extra(f"channels.{config.name}", "apprise", "apprise")
        if missing:
            raise ConfigError(missing)
        self.config = config
        self.name = config.name
        self._apprise, plugins, refused = _loaded(secret.get_secret_value() for secret in config.urls)
        if refused:
            raise ConfigError([Problem(f"channels.{config.name}.urls[{i}]", NOT_UNDERSTOOD) for i in refused])
        self._shown: list[str] = [str(p.url(privacy=True)) for p in plugins]

    def describe(self) -> dict[str, str]:
        return {"urls": ", ".join(self._shown)}

    async def send(self, message: RenderedMessage, http: HttpClient) -> SendResult:
        notify_type = "success" if message.status == "resolved" else _TYPES[message.severity.value]
        # A page goes to the paged person's own URLs (their SMS or phone provider), not the channel's.
        target = self._person(message.recipients) if message.recipients else self._apprise
        result = await asyncio.to_thread(
            target.notify,
            body=message.body,
            title=message.title,
            notify_type=notify_type,
            timeout=self.config.timeout.total_seconds(),
        )
        if not result:
            raise DeliveryError(
                f"apprise could not deliver to {getattr(result, 'failed_count', '?')} of "
                f"{len(message.recipients or self._shown)} URL(s)",
                retryable=True,
            )
        return SendResult(None)

    def _person(self, urls: tuple[str, ...]) -> Any:
        """The person's own URLs (checked at start-up, as a channel's are): should Apprise still refuse
        one, the page fails saying so rather than reaching fewer URLs."""
        target, _, refused = _loaded(urls)
        if refused:
            raise DeliveryError("a paged person's apprise URL is not one Apprise understands", retryable=False)
        return target
