"""Live updates for open pages: an after-commit hook fans alert changes out to subscribers' queues.

Changes committed by this process reach its pages in-process. With several processes on PostgreSQL
(instances behind one address, or `api` and `worker` roles) the relay carries each change's alert id
over the broadcast seam (store/broadcast.py); every other process reads those alerts and pushes them to
its own pages. A page told to resync (it fell behind, or the broadcast connection was away) reloads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence

from alerthub.domain.alert import Alert, AlertChange
from alerthub.store import alerts as alert_store
from alerthub.store.broadcast import MAX_PAYLOAD, Broadcast, Topic
from alerthub.store.database import Database

logger = logging.getLogger(__name__)

QUEUE_SIZE = 500


class LiveFeed:
    def __init__(self, max_subscribers: int = 200) -> None:
        self._subscribers: set[asyncio.Queue[Alert | None]] = set()
        self.max_subscribers = max_subscribers

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def subscribe(self) -> asyncio.Queue[Alert | None] | None:
        if len(self._subscribers) >= self.max_subscribers:
            return None
        queue: asyncio.Queue[Alert | None] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Alert | None]) -> None:
        self._subscribers.discard(queue)

    def publish(self, changes: Sequence[AlertChange]) -> None:
        """The after_commit hook: never blocks, never raises."""
        self.deliver([c.after for c in changes])

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """A subscriber too slow to keep up gets a `None` (resync: reload the list) instead of an
        unbounded queue."""
        if not self._subscribers or not alerts:
            return
        for queue in list(self._subscribers):
            for message in alerts:
                try:
                    queue.put_nowait(message)
                except asyncio.QueueFull:
                    _resync(queue)
                    break

    def resync(self) -> None:
        for queue in list(self._subscribers):
            _resync(queue)


def _resync(queue: asyncio.Queue[Alert | None]) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(None)


class LiveRelay:
    """This process's alert changes out to the other processes' pages, and theirs in to this one's."""

    def __init__(self, feed: LiveFeed, broadcast: Broadcast, db: Database) -> None:
        self.feed = feed
        self.broadcast = broadcast
        self.db = db
        self._wanted: set[int] = set()
        self._reading: asyncio.Task[None] | None = None
        broadcast.subscribe(Topic.ALERTS, self.on_message, self.feed.resync)

    def after_commit(self, changes: Sequence[AlertChange]) -> None:
        for payload in encode(changes):
            self.broadcast.publish(Topic.ALERTS, payload)

    def on_message(self, payload: str) -> None:
        if not self.feed.subscribers:
            return  # no page open here: nothing to read
        self._wanted |= decode(payload)
        if self._reading is None or self._reading.done():
            self._reading = asyncio.get_running_loop().create_task(self._read(), name="live-relay")

    async def _read(self) -> None:
        """Notifications that arrive while a read runs are gathered into the next one."""
        while self._wanted:
            ids, self._wanted = self._wanted, set()
            try:
                async with self.db.read() as conn:
                    alerts = await alert_store.get_many(conn, ids)
            except Exception as exc:
                logger.warning("live update from another instance not read: %s; pages resync", exc)
                self.feed.resync()
                return
            self.feed.deliver(alerts)


def change_kind(change: AlertChange) -> str:
    if change.before is None:
        return "new"
    if change.before.state is not change.after.state:
        return "state"
    if change.before.severity is not change.after.severity:
        return "severity"
    return "update"


def encode(changes: Sequence[AlertChange]) -> Iterator[str]:
    """`id:kind` words, as many to a payload as fit under the broadcast's limit."""
    words: list[str] = []
    size = 0
    for change in changes:
        if change.after.id is None:
            continue
        word = f"{change.after.id}:{change_kind(change)}"
        if words and size + len(word) + 1 > MAX_PAYLOAD:
            yield " ".join(words)
            words, size = [], 0
        words.append(word)
        size += len(word) + 1
    if words:
        yield " ".join(words)


def decode(payload: str) -> set[int]:
    """The alert ids of a payload; a word this version cannot read is skipped (a newer instance's)."""
    ids = set()
    for word in payload.split():
        head = word.partition(":")[0]
        if head.isdigit():
            ids.add(int(head))
    return ids
