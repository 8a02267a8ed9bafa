"""The outbox worker: claims due notifications under a lease, paces each channel with a token
bucket, merges what the budget cannot carry into a digest, hands each row to its channel's lane
(delivery/lanes.py, which sends it through delivery/sending.py), and records every outcome.

Its loop runs as `hub.background["delivery"]` and wakes on `hub.wake_delivery`, at the next due
row, or every `POLL` seconds, whichever comes first. Lanes send beside the loop, so a wake is
answered with a claim even while earlier rows are still in flight."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import datetime

from alerthub.channels import Channel, build_channel
from alerthub.channels.base import ChannelSettings
from alerthub.channels.http import HttpClient
from alerthub.config.models import Config, ReceiverConfig
from alerthub.delivery import digest, digest_rows, outcome
from alerthub.delivery.action_links import LinkerSource
from alerthub.delivery.client import ClientFactory, delivery_client
from alerthub.delivery.delivery_metrics import DeliveryMetrics
from alerthub.delivery.lanes import Gate, Lane, lease_covers_send
from alerthub.delivery.pacing import TokenBucket, bucket_for
from alerthub.delivery.retry import RetryPolicy
from alerthub.delivery.sending import Addresses, Sender, no_addresses
from alerthub.domain.clock import Clock
from alerthub.domain.notification import Notification
from alerthub.errors import DeliveryError
from alerthub.loops import nap, wake_on
from alerthub.store import channel_state, deliveries
from alerthub.store.database import Database
from alerthub.store.outbox import Claim
from alerthub.telemetry import LoopFailureLog

logger = logging.getLogger(__name__)

POLL = 1.0  # seconds between looks at the outbox when nothing wakes the worker
DIGEST_MAX = 500  # rows merged into one digest at most; more wait for the next one


class DeliveryWorker:
    def __init__(
        self,
        config: Config,
        db: Database,
        clock: Clock,
        metrics: DeliveryMetrics,
        *,
        wake: asyncio.Event | None = None,
        rand: Callable[[], float] = random.random,
        on_error: Callable[[], None] = lambda: None,
        http_client: ClientFactory = delivery_client,
        addresses: Addresses = no_addresses,
    ) -> None:
        self.config, self.db, self.clock, self.metrics = config, db, clock, metrics
        self.wake = wake or asyncio.Event()
        self.on_error = on_error
        self.log_pass_failure = LoopFailureLog(logger, "delivery pass failed; trying again shortly")
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]
        self.channels: dict[str, Channel] = {c.name: build_channel(c) for c in config.channels}
        self.configs: dict[str, ChannelSettings] = {name: c.config for name, c in self.channels.items()}
        self.sender = Sender(
            self.channels,
            self.configs,
            db,
            clock,
            RetryPolicy.from_config(config.delivery),
            rand=rand,
            on_error=on_error,
            pause=lambda name, until: self.bucket(name).pause(until),
            linker=LinkerSource(config, db, clock),
            addresses=addresses,
        )
        self.receivers: dict[str, ReceiverConfig] = {r.name: r for r in config.receivers}
        self.buckets: dict[str, TokenBucket] = {}
        self.budget_returns: datetime | None = None  # earliest moment a waiting, paced channel may send
        self.lanes = {name: Lane(name, c.in_flight) for name, c in self.channels.items()}
        self.handled = 0  # rows claimed since `tick` began
        self.http_client = http_client
        self._running: HttpClient | None = None  # the loop's client while `run` runs: rows can be handed to it
        self._handovers: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim, hand the rows to their channels' lanes, and look again on a wake without waiting for
        the sends: rows that fall due while others are in flight go out at once."""
        async with self.http_client() as http:
            stopping = asyncio.ensure_future(wake_on(stop, self.wake))  # a stop wakes the loop as work does
            self._running = http
            try:
                while not stop.is_set():
                    self.wake.clear()
                    try:
                        delay = await self._dispatch(http)
                    except Exception:
                        # The loop boundary: one bad pass must not stop delivery for good.
                        self.log_pass_failure()
                        self.on_error()
                        delay = POLL
                    await nap(self.wake, delay)
                self._running = None
                await asyncio.gather(*self._handovers)
                await self._settle()
            finally:
                self._running = None
                stopping.cancel()
                for lane in self.lanes.values():
                    lane.cancel()  # cancelled from outside (shutdown took too long): sends end with the client

    async def idle_delay(self) -> float:
        """Sleep until a row falls due or a paced channel has budget again, at most POLL seconds;
        rows that are due but waiting for budget must not make the loop spin."""
        now = self.clock()
        async with self.db.read() as conn:
            due = await deliveries.next_due_at(conn, now)
        return self._delay(now, due)

    def claims(self, channels: Collection[str], now: datetime) -> dict[str, Claim]:
        """The express path (pipeline/express.py): the channels whose new rows this running worker sends the
        moment they commit: nothing queued on their lane, budget left. The others' wait for a claim."""
        claim = Claim(self.worker_id, now + self.config.delivery.lease)
        ready = [n for n in channels if n in self.lanes and not self.lanes[n].has_queue]
        return {n: claim for n in ready if self.bucket(n).available(now) > 0} if self._running else {}

    def take(self, rows: Sequence[Notification]) -> None:
        """After the commit that wrote `rows` under `claims`: on to their lanes, as a claim would have."""
        http = self._running
        if http is None:
            return  # stopping: the rows' lease runs out and they are claimed again
        task = asyncio.ensure_future(self._take(rows, http))
        self._handovers.add(task)
        task.add_done_callback(self._handovers.discard)

    async def _take(self, rows: Sequence[Notification], http: HttpClient) -> None:
        now = self.clock()
        for name in sorted({r.channel for r in rows}):
            mine = [r for r in rows if r.channel == name]
            try:
                tokens = self._budget(name, None, now)
                if tokens == 0:
                    await self._release(mine)  # another send took the budget since the claim
                else:
                    await self._hand_over(name, mine, tokens, http)
            except Exception:
                logger.exception("handing notifications to channel %s failed", name)  # their lease runs out
                self.on_error()

    def _delay(self, now: datetime, due: datetime | None) -> float:
        moments = [m for m in (due, self.budget_returns) if m is not None]
        if not moments:
            return POLL
        return min(POLL, max(0.01, (min(moments) - now).total_seconds()))

    async def tick(self, http: HttpClient) -> int:
        """One whole pass (tests and the CLI): claim every channel's due rows, send and record them all;
        returns how many rows were handled."""
        self.handled = 0
        await self._dispatch(http)
        await asyncio.gather(*(lane.settled() for lane in self.lanes.values()))
        return self.handled

    async def _dispatch(self, http: HttpClient) -> float:
        """Claim what channels with room can take and start it; returns seconds until the next look."""
        self.budget_returns = None
        now = self.clock()
        claimed, due = await self._claim_all(now)
        for name, (rows, tokens) in sorted(claimed.items()):
            self.handled += len(rows)
            try:
                await self._hand_over(name, rows, tokens, http)
            except Exception:
                # Its rows keep their lease and are taken over when it runs out; the others go on.
                logger.exception("delivery to channel %s failed", name)
                self.on_error()
        return self._delay(now, due)

    async def _settle(self) -> None:
        """Stopping: rows not started go back to the outbox; sends in flight finish and are recorded."""
        for lane in self.lanes.values():
            await self._release(lane.drop_queue())
        await asyncio.gather(*(lane.settled() for lane in self.lanes.values()))

    async def _claim_all(self, now: datetime) -> tuple[dict[str, tuple[list[Notification], int]], datetime | None]:
        """Each channel's due rows, as many as its budget sends now plus what a digest can carry, and
        that budget; and when the next row falls due. In one write transaction (on SQLite the writer runs
        on the loop thread: no hop to a reader thread). A channel whose lane still has rows waiting to
        start is left for when they have started."""
        claimed: dict[str, tuple[list[Notification], int]] = {}
        lease_until = now + self.config.delivery.lease
        async with self.db.write() as conn:
            waiting = await deliveries.due_counts(conn, now)
            states = await channel_state.all_states(conn) if waiting else {}
            for name, count in sorted(waiting.items()):
                lane = self.lanes.get(name)
                if lane is not None and lane.has_queue:
                    lane.wanted = True
                    continue
                tokens = self._budget(name, states.get(name), now)
                if tokens == 0:
                    continue
                limit = min(count, DIGEST_MAX + tokens)
                rows = await deliveries.claim(
                    conn, channel=name, now=now, worker=self.worker_id, lease_until=lease_until, limit=limit
                )
                claimed[name] = (rows, tokens)
                if count > limit and name in self.lanes:
                    self.lanes[name].wanted = True  # more are due: look again once these have started
            due = await deliveries.next_due_at(conn, now)
        return claimed, due

    def _budget(self, name: str, state: channel_state.ChannelState | None, now: datetime) -> int:
        """Sends the channel may make now; a channel no longer configured gets its rows failed."""
        if name not in self.channels:
            return DIGEST_MAX
        bucket = self.bucket(name)
        if state is not None and state.paused_until is not None and state.paused_until > now:
            bucket.pause(state.paused_until)  # another instance saw the 429
        tokens = bucket.available(now)
        if tokens == 0:
            # Paced: the rows wait in the outbox, nothing is lost; look again when budget returns.
            back = bucket.next_token_at(now)
            self.budget_returns = back if self.budget_returns is None else min(self.budget_returns, back)
        return tokens

    def _lease_covers_send(self, row: Notification) -> bool:
        timeout = self.configs[row.channel].timeout if row.channel in self.configs else None
        return lease_covers_send(row, self.clock(), self.config.delivery.lease, timeout)

    def bucket(self, name: str) -> TokenBucket:
        if name not in self.buckets:
            cfg = self.configs[name]
            self.buckets[name] = bucket_for(cfg.type, cfg.rate_per_second, cfg.burst, self.clock())
        return self.buckets[name]

    async def _hand_over(self, name: str, rows: list[Notification], tokens: int, http: HttpClient) -> None:
        if name not in self.channels:
            error = DeliveryError(f"no channel named {name!r} is configured", retryable=False)
            await self._record([self.sender.failure(row, None, error) for row in rows])
            return
        for together in digest.pages_together(rows):
            page, gone = await self._merge(name, together, pages=True), {id(r) for r in together[1:]}
            rows = [page if r is together[0] else r for r in rows if id(r) not in gone]
        edits = self.channels[name].threads == "edit"
        singles, merged, held = digest.split(rows, tokens, lambda r: digest.kept_apart(r, edits=edits))
        await self._release(held)
        queue: list[Notification] = list(singles)
        if merged:
            queue.append(await self._merge(name, merged))
        self.lanes[name].add(queue, self._gate(name, http))

    def _gate(self, name: str, http: HttpClient) -> Gate:
        bucket = self.bucket(name)
        return Gate(
            covers=self._lease_covers_send,
            take=lambda: bucket.take(self.clock()),
            attempt=lambda row: self.sender.attempt(row, http),
            record=self._record,
            release=self._release,
            on_error=self.on_error,
            wake=self.wake,
        )

    async def _release(self, rows: Sequence[Notification]) -> None:
        if not rows:
            return
        name = rows[0].channel
        resume = self.bucket(name).next_token_at(self.clock())
        async with self.db.write() as conn:
            await deliveries.release(conn, [r.id for r in rows if r.id is not None], resume)

    async def _merge(self, name: str, rows: Sequence[Notification], *, pages: bool = False) -> Notification:
        now = self.clock()
        lease_until = now + self.config.delivery.lease
        found = await digest_rows.merge(self.db, now, name, rows, self.worker_id, lease_until, pages=pages)
        self.metrics.notifications.labels(name, "merged").inc(len(rows))
        return found

    async def _record(self, outcomes: Sequence[outcome.Outcome]) -> bool:
        """One write transaction for a batch of outcomes; False when its channel must now pause (a 429,
        or rate-limit headers saying the service's budget is spent)."""
        if not outcomes:
            return True
        async with self.db.write() as conn:
            fallbacks = await outcome.record(conn, outcomes, self.receivers)
        go_on = self.metrics.count(outcomes, self.configs)
        for row_id, channels in fallbacks.items():
            logger.warning("a channel is failing; notification %s also goes to %s", row_id, channels)
            self.wake.set()
        return go_on
