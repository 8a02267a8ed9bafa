"""Waiting in the background loops: woken by work, by a stop, or by time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


async def nap(wake: asyncio.Event, seconds: float) -> None:
    """Until `wake` is set or `seconds` have passed. Awaiting the event itself resumes this task on the
    loop's next turn after `set()`; waiting on tasks wrapping it (asyncio.wait) took three turns, each as
    long as whatever else the loop had queued (request handlers, under load)."""
    if seconds <= 0 or wake.is_set():
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()


async def wait_or_stop(seconds: float, stop: asyncio.Event) -> bool:
    """Sleep `seconds`, or less if `stop` is set meanwhile; whether it was."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0.0))
    except TimeoutError:
        return False
    return True


async def wake_on(stop: asyncio.Event, wake: asyncio.Event) -> None:
    """Run beside a loop that naps on `wake`: a stop wakes it as work does."""
    await stop.wait()
    wake.set()


async def every(
    seconds: float, stop: asyncio.Event, once: Callable[[], Awaitable[object]], failed: Callable[[], None]
) -> None:
    """Run `once` now, then `seconds` after each pass ends, until `stop`. A pass that raises is the loop's
    boundary: `failed` reports it (called inside the `except`, so it can log the exception) and the next
    pass runs as planned."""
    while not stop.is_set():
        try:
            await once()
        except Exception:
            failed()
        await wait_or_stop(seconds, stop)
