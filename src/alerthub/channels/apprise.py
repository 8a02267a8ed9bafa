"""Any service Apprise reaches, from a list of Apprise URLs. Apprise's notify is synchronous and
does its own HTTP, so it runs in a worker thread; it reports only success or failure, which we
treat as retryable (Apprise cannot tell us whether the cause was permanent)."""

from __future__ import annotations

import asyncio
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


def url_problems(urls: list[SecretStr], where: str) -> list[Problem]:
    """The URLs Apprise does not understand, each at `where[i]`; the missing extra when it is not installed."""
    missing = missing_extra(where, "apprise", "apprise")
    if missing or not urls:
        return missing if urls else []
    import apprise

    return [
        Problem(f"{where}[{i}]", "not a URL Apprise understands")
        for i, url in enumerate(urls)
        if apprise.Apprise.instantiate(url.get_secret_value()) is None
    ]


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
        import apprise

        self.config = config
        self.name = config.name
        self._apprise = apprise.Apprise()
        self._shown: list[str] = []
        problems = []
        for i, secret in enumerate(config.urls):
            plugin = apprise.Apprise.instantiate(secret.get_secret_value())
            if plugin is None:
                problems.append(Problem(f"channels.{config.name}.urls[{i}]", "not a URL Apprise understands"))
                continue
            self._apprise.add(plugin)
            self._shown.append(str(plugin.url(privacy=True)))  # type: ignore[no-untyped-call]
        if problems:
            raise ConfigError(problems)

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
        """The person's own URLs; one Apprise does not understand is an error that says so, not a
        silent drop (their URLs are not checked at start-up the way a channel's are)."""
        import apprise

        target = apprise.Apprise()
        for url in urls:
            plugin = apprise.Apprise.instantiate(url)
            if plugin is None:
                raise DeliveryError("a paged person's apprise URL is not one Apprise understands", retryable=False)
            target.add(plugin)
        return target
