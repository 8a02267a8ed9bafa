"""Tell the other processes on the same database that something changed: a small publish/subscribe seam.

`publish(topic, payload)` reaches the subscribers of every *other* process; the publishing process has
already acted on its own change (a live page here got the alert in-process), so it never hears itself.

* SQLite serves one process (store/instance_lock.py): there is nobody else to tell.
* PostgreSQL: `NOTIFY` after the commit, on one dedicated connection per process that also `LISTEN`s.
  If that connection drops it is opened again with backoff, and subscribers are told they may have
  missed messages (`on_gap`), so a live page reloads its list instead of silently going stale.

A payload is small text (PostgreSQL refuses one of 8000 bytes or more): ids and kinds, never documents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from alerthub.store.database import Database

logger = logging.getLogger(__name__)


class Topic(StrEnum):
    ALERTS = "alerts"  # alert changes, for live pages
    RELOAD = "reload"  # a configuration reload asked of one instance, for all of them


# Bytes of one payload; PostgreSQL's own limit is 8000 and the origin tag shares it.
MAX_PAYLOAD = 7900
# Messages waiting for the connection; past this the oldest go and the others hear of a gap.
MAX_QUEUED = 10_000
OUTAGE_LOG_EVERY = 60.0  # while the database is away, the broadcast says so at most this often
_CHANNEL_PREFIX = "alerthub_"
_GAP = "!"  # a payload saying "messages were dropped here; resync"

OnMessage = Callable[[str], None]
OnGap = Callable[[], None]


class Broadcast(Protocol):
    def subscribe(self, topic: Topic, on_message: OnMessage, on_gap: OnGap | None = None) -> None:
        """Before `run`. Callbacks run on the event loop: they must not block or raise."""

    def publish(self, topic: Topic, payload: str) -> None:
        """Never blocks, never waits for the database: safe in an after-commit hook."""

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the connection (if any) until `stop` is set."""


@dataclass
class _Subscribers:
    on_message: list[OnMessage] = field(default_factory=list)
    on_gap: list[OnGap] = field(default_factory=list)

    def message(self, payload: str) -> None:
        for callback in self.on_message:
            _guarded(callback, payload)

    def gap(self) -> None:
        for callback in self.on_gap:
            _guarded(callback)


def _guarded(callback: Callable[..., None], *args: str) -> None:
    try:
        callback(*args)
    except Exception:
        logger.exception("a broadcast subscriber failed")


def check_payload(payload: str) -> None:
    if len(payload.encode()) > MAX_PAYLOAD:
        raise ValueError(f"broadcast payload of {len(payload.encode())} bytes; at most {MAX_PAYLOAD}")


class LocalBroadcast:
    """One process: its own subscribers already had every change in-process, and there is no other."""

    def __init__(self) -> None:
        self.topics: dict[Topic, _Subscribers] = {}

    def subscribe(self, topic: Topic, on_message: OnMessage, on_gap: OnGap | None = None) -> None:
        subscribers = self.topics.setdefault(topic, _Subscribers())
        subscribers.on_message.append(on_message)
        if on_gap is not None:
            subscribers.on_gap.append(on_gap)

    def publish(self, topic: Topic, payload: str) -> None:
        check_payload(payload)

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()


def channel(topic: Topic) -> str:
    return _CHANNEL_PREFIX + topic.value


Connect = Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class Backoff:
    first: float = 0.2
    most: float = 10.0


class PostgresBroadcast(LocalBroadcast):
    """NOTIFY and LISTEN on one dedicated asyncpg connection (outside the pool: it is held for ever)."""

    HEALTH_CHECK_EVERY = 30.0  # a silent network loss shows up within this

    def __init__(self, db: Database, *, connect: Connect | None = None, backoff: Backoff = Backoff()) -> None:
        super().__init__()
        self.origin = uuid.uuid4().hex[:16]
        self._connect = connect or (lambda: dedicated_connection(db))
        self.backoff = backoff
        self._queue: deque[tuple[str, str]] = deque(maxlen=MAX_QUEUED)
        self._dropped: set[Topic] = set()
        self._unsent: list[tuple[str, str]] = []
        self._wake = asyncio.Event()
        self.connected = asyncio.Event()  # set while LISTENing: tests and readiness can wait on it
        self._down_since: float | None = None
        self._reminded = 0.0

    def publish(self, topic: Topic, payload: str) -> None:
        check_payload(payload)
        if len(self._queue) == self._queue.maxlen:
            self._dropped.add(topic)
        self._queue.append((channel(topic), f"{self.origin} {payload}"))
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        delay, first = self.backoff.first, True
        while not stop.is_set():
            try:
                await self._serve(stop, reconnected=not first)
                delay = self.backoff.first
            except Exception as exc:  # the connection, whatever broke it: log, wait, open another
                self.connected.clear()
                self._log_outage(exc, delay, loop.time())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, self.backoff.most)
            first = False

    def _log_outage(self, exc: BaseException, delay: float, now: float) -> None:
        """The loss once, then a reminder at most every OUTAGE_LOG_EVERY while it lasts."""
        if self._down_since is None:
            self._down_since = self._reminded = now
            logger.warning("broadcast connection lost: %s; reconnecting in %.1fs", _describe(exc), delay)
        elif now - self._reminded >= OUTAGE_LOG_EVERY:
            self._reminded = now
            logger.warning("broadcast connection still down after %.0fs: %s", now - self._down_since, _describe(exc))

    async def _serve(self, stop: asyncio.Event, *, reconnected: bool) -> None:
        conn = await self._connect()
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            for topic in self.topics:
                await conn.add_listener(channel(topic), self._on_notify)
            self.connected.set()
            if not reconnected:
                logger.info("broadcast: listening on PostgreSQL for other processes' changes")
            else:
                logger.info("broadcast connection restored; live pages resync")
                for subscribers in self.topics.values():
                    subscribers.gap()  # what was published meanwhile never reached us
            self._down_since = None
            await self._pump(conn, stop, lost)
        finally:
            self.connected.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)

    async def _pump(self, conn: Any, stop: asyncio.Event, lost: asyncio.Event) -> None:
        """Send what is queued; between sends wait for more, for the stop, or for the connection to go."""
        loop = asyncio.get_running_loop()
        checked = loop.time()
        while not stop.is_set():
            if lost.is_set():
                raise ConnectionError("the server closed the connection")
            self._wake.clear()  # before sending: a publish during the send wakes the next round at once
            await self._send(conn)
            if loop.time() - checked >= self.HEALTH_CHECK_EVERY:
                await asyncio.wait_for(conn.execute("SELECT 1"), 10)
                checked = loop.time()
            waits = [asyncio.ensure_future(e.wait()) for e in (self._wake, stop, lost)]
            try:
                await asyncio.wait(waits, timeout=self.HEALTH_CHECK_EVERY, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()

    async def _send(self, conn: Any) -> None:
        if not self._unsent:
            gaps = [(channel(t), f"{self.origin} {_GAP}") for t in sorted(self._dropped)]
            self._unsent, self._dropped = gaps + list(self._queue), set()
            self._queue.clear()
        if not self._unsent:
            return
        # Kept until sent: a batch cut by a lost connection goes again on the next one.
        channels, payloads = zip(*self._unsent, strict=True)
        await conn.execute(_NOTIFY, list(channels), list(payloads))
        self._unsent = []

    def _on_notify(self, _conn: object, _pid: int, name: str, data: str) -> None:
        origin, _, payload = data.partition(" ")
        if origin == self.origin:
            return  # our own: this process delivered it in-process already
        topic = Topic(name.removeprefix(_CHANNEL_PREFIX))
        subscribers = self.topics.get(topic)
        if subscribers is None:
            return
        if payload == _GAP:
            subscribers.gap()
        else:
            subscribers.message(payload)


# One round trip for a whole batch; notifications of one transaction arrive in this order.
_NOTIFY = "SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(c, p, n) ORDER BY n"


async def dedicated_connection(db: Database) -> Any:
    """An asyncpg connection with the engine's own connect arguments, but outside its pool."""
    import asyncpg  # only PostgreSQL needs the driver

    _, options = db.engine.dialect.create_connect_args(db.engine.url)
    for sqlalchemy_only in ("prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn"):
        options.pop(sqlalchemy_only, None)
    options.setdefault("timeout", 10)
    return await asyncpg.connect(**options)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def broadcast_for(db: Database) -> LocalBroadcast:
    return LocalBroadcast() if db.is_sqlite else PostgresBroadcast(db)
