"""Channels as people see them: what is configured (secrets redacted), how each has been doing,
and a test message that reports the real outcome."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import httpx

from alerthub.channels import build_channel
from alerthub.channels.base import scrub as redact
from alerthub.config.models import ChannelConfig, Config
from alerthub.delivery.pacing import DEFAULTS as PACING_DEFAULTS
from alerthub.delivery.render import Renderer
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


def scrub(text: str | None, config: ChannelConfig) -> str | None:
    """Belt and braces: no secret of the channel leaves through an error text."""
    return None if text is None else redact(text, config)


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
        for cfg in self.config.channels:
            state = states.get(cfg.name, channel_state.ChannelState(cfg.name))
            safe = replace(state, last_error=scrub(state.last_error, cfg))
            default_rate, default_burst = PACING_DEFAULTS[cfg.type]
            infos.append(
                ChannelInfo(
                    cfg.name,
                    cfg.type,
                    build_channel(cfg).describe(),
                    cfg.send_resolved,
                    cfg.language,
                    safe,
                    cfg.rate_per_second or default_rate,
                    cfg.burst or default_burst,
                )
            )
        return infos

    async def test(self, name: str, http: httpx.AsyncClient | None = None) -> TestOutcome:
        cfg = self.by_name.get(name)
        if cfg is None:
            known = ", ".join(sorted(self.by_name)) or "none configured"
            raise NotFoundError(f"no channel named {name!r}; known channels: {known}")
        message = Renderer(cfg).render(test_payload(self.config, name), f"test:{name}:{self.clock().isoformat()}")
        channel = build_channel(cfg)
        async with _client(http) as client:
            try:
                result = await channel.send(message, client)
            except DeliveryError as exc:
                outcome = TestOutcome(
                    name, False, None, scrub(str(exc), cfg), exc.retryable, exc.status, exc.retry_after
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


class _client:
    """Use the caller's client, or open (and close) one of our own."""

    def __init__(self, http: httpx.AsyncClient | None) -> None:
        self.given = http
        self.own: httpx.AsyncClient | None = None

    async def __aenter__(self) -> httpx.AsyncClient:
        if self.given is not None:
            return self.given
        self.own = httpx.AsyncClient(follow_redirects=False)
        return self.own

    async def __aexit__(self, *exc: object) -> None:
        if self.own is not None:
            await self.own.aclose()
