"""One claimed row through its channel: render it, send it (as an edit of, or a reply to, the first
message of its conversation when there is one), and turn whatever happened, a channel's bug included,
into an outcome to record. The worker decides which rows go and when; this never raises."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from alerthub.channels import Channel, Editable, RenderedMessage, SendResult
from alerthub.channels.base import ChannelSettings, RepliesToThreads, scrub
from alerthub.channels.http import HttpClient
from alerthub.delivery import outcome
from alerthub.delivery.action_links import ActionLinker
from alerthub.delivery.compose import Renderer
from alerthub.delivery.retry import RetryPolicy, decide
from alerthub.domain.clock import Clock
from alerthub.domain.notification import Notification, NotificationPayload
from alerthub.errors import DeliveryError
from alerthub.store import deliveries
from alerthub.store.database import Database
from alerthub.store.outbox import DIGEST, PAGE

logger = logging.getLogger("alerthub.delivery.worker")  # where these lines were always logged

# (person, channel type) -> how to reach that person on that type (`people[]`, looked up at send time so
# a changed contact applies to pages already queued).
Addresses = Callable[[str, str], tuple[str, ...]]

FIRST = "first notification"
SUPPRESSED = "not sent: send_resolved is false for this channel"
# Messages whose firing alerts one link acknowledges together: a group's, a digest, a page. Not a mute's
# summary or a notice, whose point is what they report.
_ACKNOWLEDGED_WHOLE = frozenset({"firing", DIGEST, PAGE})
# Threads a digest replies in at most: mail clients cut a References header much longer than this.
DIGEST_THREADS = 50


class Sender:
    """`channels` and `configs` are the worker's own dicts: a channel swapped there is the one used.
    `pause(channel, until)` stops the channel's budget when a service says to wait."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        configs: Mapping[str, ChannelSettings],
        db: Database,
        clock: Clock,
        policy: RetryPolicy,
        *,
        rand: Callable[[], float],
        on_error: Callable[[], None],
        pause: Callable[[str, datetime], None],
        linker: Callable[[], Awaitable[ActionLinker | None]],
        addresses: Addresses,
    ) -> None:
        self.channels = channels
        self.configs = configs
        self.renderers = {name: Renderer(c) for name, c in configs.items()}
        self.db = db
        self.clock = clock
        self.policy = policy
        self.rand = rand
        self.on_error = on_error
        self.pause = pause
        self.linker = linker
        self.addresses = addresses

    async def attempt(self, row: Notification, http: HttpClient) -> outcome.Outcome:
        """Send one row; the outcome is recorded with others that finished about the same time."""
        payload = payload_of(row)
        if payload is None:
            return self.failure(row, None, DeliveryError("payload is not a notification payload", retryable=False))
        if payload.status == "resolved" and not self.configs[row.channel].send_resolved and payload.reason != "test":
            return outcome.Suppressed(row, self.clock(), SUPPRESSED)
        try:
            linker = await self.linker()
            whole = row.id if row.kind in _ACKNOWLEDGED_WHOLE else None
            message = self.renderers[row.channel].render(payload, row.idempotency_key, linker, whole)
            if payload.paged:
                message = replace(message, recipients=self._recipients(row.channel, payload.paged))
            result = await self._send(row, message, http)
        except DeliveryError as exc:
            return self.failure(row, payload, exc)
        except Exception as exc:
            # A channel bug is a boundary too: log it, count it, and let the row retry.
            trace = scrub(traceback.format_exc(), self.configs[row.channel])  # its text may quote a secret
            logger.error("channel %s raised unexpectedly for notification %s\n%s", row.channel, row.id, trace)
            self.on_error()
            return self.failure(row, payload, DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True))
        now = self.clock()
        if result.wait:
            # The service's headers say its bucket is empty: wait as told rather than earn a 429.
            self.pause(row.channel, now + timedelta(seconds=result.wait))
        return outcome.Sent(row, now, result.external_id, payload.reason == FIRST, result.wait)

    async def _send(self, row: Notification, message: RenderedMessage, http: HttpClient) -> SendResult:
        channel = self.channels[row.channel]
        if row.kind == DIGEST and row.id is not None and isinstance(channel, RepliesToThreads):
            async with self.db.read() as conn:
                threads = await deliveries.merged_threads(conn, row.id, row.channel, DIGEST_THREADS)
            if threads:
                return await channel.reply_to_threads(message, threads, http)
        thread = None
        if row.thread_key and isinstance(channel, Editable):
            async with self.db.read() as conn:
                thread = await deliveries.thread_for(conn, row.thread_key, row.channel)
        # A first notification opens a new conversation (the group fires again after it all resolved):
        # it never edits or replies to the last episode's message.
        continues = thread and message.payload.reason != FIRST
        if continues and isinstance(channel, Editable) and (channel.threads == "reply" or message.is_follow_up):
            assert thread is not None
            return await channel.update(message, thread, http)
        return await channel.send(message, http)

    def _recipients(self, channel: str, people: tuple[str, ...]) -> tuple[str, ...]:
        """The addresses of the people a page is for on this channel's type; none (a contact removed since)
        sends the page to the channel's own destination instead."""
        kind = self.channels[channel].kind
        return tuple(dict.fromkeys(a for person in people for a in self.addresses(person, kind)))

    def failure(self, row: Notification, payload: NotificationPayload | None, error: DeliveryError) -> outcome.Failed:
        now = self.clock()
        decision = decide(self.policy, error, attempt=row.attempts, created_at=row.created_at, now=now, rand=self.rand)
        cfg = self.configs.get(row.channel)
        text = outcome.failure_text(decision, scrub(str(error), cfg) if cfg else str(error))
        paused = now + timedelta(seconds=error.retry_after) if error.status == 429 and error.retry_after else None
        if paused is not None and cfg is not None:
            self.pause(row.channel, paused)
        return outcome.Failed(row, now, decision, text, error.status, paused, payload)


def no_addresses(person: str, channel_type: str) -> tuple[str, ...]:
    return ()


def payload_of(row: Notification) -> NotificationPayload | None:
    if row.decoded is not None:
        return row.decoded
    try:
        return NotificationPayload.from_json(row.payload)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
