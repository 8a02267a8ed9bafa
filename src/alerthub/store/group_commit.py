"""Group commit: requests that arrive while a transaction is running share the next one.

A commit costs the same for one alert as for a hundred (a WAL append and, on PostgreSQL, an fsync),
and SQLite takes one writer at a time anyway. So each caller queues its work; whoever gets the lock
takes everything queued (up to `max_size` items) and commits it in one transaction, then answers
every caller in the batch. Nobody is answered before the commit that holds their work, so "2xx only
after a durable commit" holds for each request. A lone request pays nothing extra: it finds the
lock free and commits alone, as before.

If a batch fails, its callers are retried one by one, so one request's bad data or a lost race
fails that request only.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

W = TypeVar("W")
R = TypeVar("R")


@dataclass(slots=True)
class _Waiter(Generic[W, R]):
    work: W
    size: int
    future: asyncio.Future[R]
    taken: bool = False


class GroupCommit(Generic[W, R]):
    """`concurrency` batches may be in flight at once: 1 where the database has a single writer
    (SQLite), a few on PostgreSQL, whose own group commit then flushes their WAL records together."""

    def __init__(self, commit: Callable[[list[W]], Awaitable[list[R]]], *, max_size: int, concurrency: int = 1) -> None:
        self._commit = commit
        self._max_size = max_size
        self._queue: deque[_Waiter[W, R]] = deque()
        self._slots = asyncio.Semaphore(concurrency)

    async def submit(self, work: W, size: int) -> R:
        waiter: _Waiter[W, R] = _Waiter(work, size, asyncio.get_running_loop().create_future())
        self._queue.append(waiter)
        # One turn of the loop first: requests whose bytes arrived together get to queue up behind
        # this one. Without it a lone caller on an inline SQLite writer never yields, and every
        # batch would hold one request.
        await asyncio.sleep(0)
        while not waiter.taken:
            async with self._slots:
                if waiter.taken:
                    break
                # Shielded: if this caller goes away, the batch it leads still commits and answers
                # the others in it.
                await asyncio.shield(self._run(self._take()))
        # Shielded too: a caller that goes away must not cancel the answer the batch will set.
        return await asyncio.shield(waiter.future)

    def _take(self) -> list[_Waiter[W, R]]:
        batch = [self._queue.popleft()]
        size = batch[0].size
        while self._queue and size + self._queue[0].size <= self._max_size:
            size += self._queue[0].size
            batch.append(self._queue.popleft())
        for waiter in batch:
            waiter.taken = True
        return batch

    async def _run(self, batch: list[_Waiter[W, R]]) -> None:
        try:
            if len(batch) == 1:
                await self._alone(batch[0])
                return
            try:
                results = await self._commit([w.work for w in batch])
            except Exception:
                for waiter in batch:
                    await self._alone(waiter)
                return
            for waiter, result in zip(batch, results, strict=True):
                waiter.future.set_result(result)
        finally:
            for waiter in batch:
                if not waiter.future.done():
                    waiter.future.cancel()

    async def _alone(self, waiter: _Waiter[W, R]) -> None:
        try:
            [result] = await self._commit([waiter.work])
        except Exception as exc:
            waiter.future.set_exception(exc)
        else:
            waiter.future.set_result(result)
