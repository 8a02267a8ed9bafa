"""Channels as people see them: what is configured (secrets redacted), how each has been doing,
and a test message that reports the real outcome."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import timedelta

from alerthub.channels import build_channel
from alerthub.channels.base import scrub as redact
from alerthub.channels.http import HttpClient
from alerthub.channels.registry import channel_config
from alerthub.config.models import ChannelEntry, Config
from alerthub.delivery.client import delivery_client
from alerthub.delivery.compose import Renderer
from alerthub.domain.clock import Clock
from alerthub.domain.notification import NotificationPayload
from alerthub.errors import DeliveryError, NotFoundError
from alerthub.store import channel_state
from alerthub.store.database import Database


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    name: str
    type: str
    description: dict[str, str]
    send_resolved: bool
    language: str
    state: channel_state.ChannelState
    rate_per_second: float
    burst: int


@dataclass(frozen=True, slots=True)
class TestOutcome:
    channel: str
    ok: bool
    external_id: str | None = None
    error: str | None = None
    retryable: bool | None = None
    status: int | None = None
    retry_after: float | None = None


def test_payload(config: Config, channel: str) -> NotificationPayload:
    url = (config.server.public_url or f"http://{config.server.host}:{config.server.port}").rstrip("/")
    return NotificationPayload(
        receiver="test",
        group_key=f"test:{channel}",
        status="firing",
        reason="test",
        group_labels={},
        common_labels={},
        common_annotations={},
        alerts=(),
        external_url=url,
    )


def scrub(text: str | None, config: ChannelEntry) -> str | None:
    """Belt and braces: no secret of the channel leaves through an error text."""
    return None if text is None else redact(text, channel_config(config))


class ChannelService:
    def __init__(self, config: Config, db: Database | None, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.by_name = {c.name: c for c in config.channels}

    async def list(self) -> list[ChannelInfo]:
        states: dict[str, channel_state.ChannelState] = {}
        if self.db is not None:
            async with self.db.read() as conn:
                states = await channel_state.all_states(conn)
        infos = []
        for entry in self.config.channels:
            channel = build_channel(entry)
            cfg = channel.config
            state = states.get(cfg.name, channel_state.ChannelState(cfg.name))
            safe = replace(state, last_error=scrub(state.last_error, cfg))
            infos.append(
                ChannelInfo(
                    cfg.name,
                    cfg.type,
                    channel.describe(),
                    cfg.send_resolved,
                    cfg.language,
                    safe,
                    cfg.rate_per_second or channel.pace.rate,
                    cfg.burst or channel.pace.burst,
                )
            )
        return infos

    async def test(self, name: str, http: HttpClient | None = None) -> TestOutcome:
        cfg = self.by_name.get(name)
        if cfg is None:
            known = ", ".join(sorted(self.by_name)) or "none configured"
            raise NotFoundError(f"no channel named {name!r}; known channels: {known}")
        channel = build_channel(cfg)
        message = Renderer(cfg).render(test_payload(self.config, name), f"test:{name}:{self.clock().isoformat()}")
        async with _client(http) as client:
            try:
                result = await channel.send(message, client)
            except DeliveryError as exc:
                outcome = TestOutcome(
                    name, False, None, scrub(str(exc), channel.config), exc.retryable, exc.status, exc.retry_after
                )
            else:
                outcome = TestOutcome(name, True, result.external_id)
        await self._record(name, outcome)
        return outcome

    async def _record(self, name: str, outcome: TestOutcome) -> None:
        if self.db is None:
            return
        now = self.clock()
        async with self.db.write() as conn:
            if outcome.ok:
                await channel_state.record_success(conn, name, now)
            else:
                # A 429 to a test message is the service's word too: the outbox waits as asked.
                paused = None
                if outcome.status == 429 and outcome.retry_after:
                    paused = now + timedelta(seconds=outcome.retry_after)
                await channel_state.record_failure(conn, name, now, f"test: {outcome.error}", paused)


def _client(http: HttpClient | None) -> AbstractAsyncContextManager[HttpClient]:
    """The caller's client, or the delivery worker's kind of client, opened for this test only."""
    return nullcontext(http) if http is not None else delivery_client()
