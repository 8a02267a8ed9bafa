"""Telegram button presses, read by long polling `getUpdates` (sources/telegram_updates.py), one loop per
bot and one instance per bot at a time (a lease: Telegram answers 409 to a second poller). A press acts
as the person whose chat it came from (`user:alice via telegram` when their telegram_chat_id is in
people[], else `user:telegram:<username> via telegram`), is answered with `answerCallbackQuery`, and the
message is edited to say who did what, its buttons gone. A press that cannot act (the alert resolved, the
button older than `server.action_link_ttl`) is answered with why, to the presser alone."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from alerthub.channels.base import request
from alerthub.channels.http import HttpClient
from alerthub.channels.redact import hider
from alerthub.channels.telegram import TelegramChannelConfig
from alerthub.config.models import Config
from alerthub.delivery.client import ClientFactory, delivery_client
from alerthub.domain.clock import Clock
from alerthub.errors import ExpiredError, InputError
from alerthub.loops import wait_or_stop
from alerthub.oncall.roster import Roster
from alerthub.services.actions import DONE, ActionService
from alerthub.sources.telegram_updates import TelegramPress, presses
from alerthub.store import monitors
from alerthub.store.database import Database
from alerthub.telemetry import LoopFailureLog, Metrics

logger = logging.getLogger(__name__)

POLL_SECONDS = 20  # getUpdates' long-poll timeout
LIMIT = 4096  # characters of a message's text


@dataclass(frozen=True, slots=True)
class Bot:
    config: TelegramChannelConfig

    @property
    def lease(self) -> str:
        token = self.config.bot_token.get_secret_value()
        return "telegram-updates:" + hashlib.sha256(token.encode()).hexdigest()[:16]

    def url(self, method: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/bot{self.config.bot_token.get_secret_value()}/{method}"


def bots_of(config: Config) -> list[Bot]:
    """One per bot token among the Telegram channels with buttons (several chats may share a bot)."""
    found: dict[str, Bot] = {}
    for channel in config.channels:
        if isinstance(channel, TelegramChannelConfig) and channel.buttons:
            found.setdefault(channel.bot_token.get_secret_value(), Bot(channel))
    return list(found.values())


class TelegramPresses:
    def __init__(
        self,
        bot: Bot,
        actions: ActionService,
        roster: Roster,
        db: Database,
        clock: Clock,
        metrics: Metrics,
        *,
        ttl: timedelta,
        owner: str,
        http_client: ClientFactory = delivery_client,
    ) -> None:
        self.bot, self.actions, self.roster, self.db, self.clock = bot, actions, roster, db, clock
        self.metrics = metrics
        self.ttl = ttl
        self.owner = owner
        self.http_client = http_client
        self.offset: int | None = None
        self._hide = hider(bot.config)
        self.log_failure = LoopFailureLog(logger, "reading Telegram button presses failed")

    async def run(self, stop: asyncio.Event) -> None:
        async with self.http_client() as http:
            while not stop.is_set():
                try:
                    pause = await self._turn(http, stop)
                except Exception:
                    self.log_failure()
                    self.metrics.loop_errors.labels("telegram-buttons").inc()
                    pause = 5.0
                await wait_or_stop(pause, stop)

    async def _turn(self, http: HttpClient, stop: asyncio.Event) -> float:
        """One poll if this instance holds the bot's lease; how long to wait before the next."""
        if not await self._own():
            return POLL_SECONDS  # another instance reads this bot's presses
        started = time.monotonic()
        found = await self.poll_once(http, stop)
        # A long poll answers early only with presses: a quick empty answer must not make the loop spin.
        return 0.0 if found or time.monotonic() - started >= 1 else 1.0

    async def _own(self) -> bool:
        now = self.clock()
        async with self.db.write() as conn:
            until = now + timedelta(seconds=POLL_SECONDS * 3)
            return await monitors.take_lease(conn, self.bot.lease, self.owner, now, until)

    async def poll_once(self, http: HttpClient, stop: asyncio.Event | None = None, wait: int = POLL_SECONDS) -> int:
        """One `getUpdates` (cut short by `stop`); handles its presses and confirms them. Returns how many."""
        body = {"timeout": wait, "allowed_updates": ["callback_query"]}
        if self.offset is not None:
            body["offset"] = self.offset
        call = asyncio.ensure_future(self._call(http, "getUpdates", body, wait + 10))
        if stop is not None:
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait([call, stopped], return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not call.done():
                call.cancel()
                return 0
        found, offset = presses(await call)
        for press in found:
            await self.handle(http, press)
        if offset is not None:
            self.offset = offset
        return len(found)

    async def handle(self, http: HttpClient, press: TelegramPress) -> None:
        person = self._person(press.user_id) or f"telegram:{press.user_name}"
        now = int(self.clock().timestamp())
        try:
            grant = (await self.actions.codec()).check_button(press.action, press.ref, person, now)
            if press.sent_at is not None and now > press.sent_at + int(self.ttl.total_seconds()):
                raise ExpiredError("this button has expired: act from the alert's page in alerthub")
            await self.actions.act(await self.actions.check(grant), "telegram", person)
        except InputError as exc:
            await self._call(
                http,
                "answerCallbackQuery",
                {"callback_query_id": press.callback_id, "text": exc.message[:200], "show_alert": True},
            )
            return
        said = f"{DONE[press.action]} by {person}"
        await self._call(http, "answerCallbackQuery", {"callback_query_id": press.callback_id, "text": said})
        if press.chat_id is not None and press.message_id is not None and press.text is not None:
            text, entities = _with_line(press.text, press.entities, said)
            edit = {"chat_id": press.chat_id, "message_id": press.message_id, "text": text, "entities": entities}
            await self._call(http, "editMessageText", edit)

    def _person(self, user_id: str) -> str | None:
        people = self.roster.people.values()
        return next((p.name for p in people if user_id and p.telegram_chat_id == user_id), None)

    async def _call(self, http: HttpClient, method: str, body: dict[str, Any], seconds: float = 10) -> Any:
        answer = await request(http, "POST", self.bot.url(method), json_body=body, seconds=seconds, hide=self._hide)
        return answer.json()


def _with_line(text: str, entities: Sequence[Any], line: str) -> tuple[str, list[Any]]:
    """The message's text with `line` under it, its formatting kept (entities count UTF-16 units); cut to
    fit Telegram's limit, dropping the formatting of what was cut."""
    room = LIMIT - len(line) - 3
    kept = text if len(text) <= room else text[:room] + "…"
    units = len(kept.encode("utf-16-le")) // 2
    inside = [e for e in entities if int(e.get("offset", 0)) + int(e.get("length", 0)) <= units]
    return f"{kept}\n\n{line}", inside
