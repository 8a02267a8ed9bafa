"""Live updates for open pages: an after-commit hook fans alert changes out to subscribers' queues.

Only changes committed by this process are seen; a page that (re)connects reloads the list, so
nothing is missed for long with several instances behind one address.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from alerthub.domain.alert import Alert, AlertChange

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
        """The after_commit hook: never blocks, never raises. A subscriber too slow to keep up gets a
        `None` (resync: reload the list) instead of an unbounded queue."""
        if not self._subscribers:
            return
        messages = [c.after for c in changes]
        for queue in list(self._subscribers):
            for message in messages:
                try:
                    queue.put_nowait(message)
                except asyncio.QueueFull:
                    _drain(queue)
                    queue.put_nowait(None)
                    break


def _drain(queue: asyncio.Queue[Alert | None]) -> None:
    while not queue.empty():
        queue.get_nowait()
