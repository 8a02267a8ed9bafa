"""Waiting, in a test, for a background loop to do what it was woken for.

The window is wide on purpose: a check that holds returns at once, so a wide window costs nothing when
the code works, and a narrow one (two seconds, as these loops once had) fails only on a loaded CI
machine, where a failure says nothing about the code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

PATIENCE = 20.0


async def eventually(check: Callable[[], Awaitable[bool]], *, every: float = 0.02, within: float = PATIENCE) -> None:
    """Return once `check()` holds, or after `within` seconds: the caller asserts what it waited for,
    so a timeout fails with the caller's own assertion."""
    deadline = time.monotonic() + within
    while not await check() and time.monotonic() < deadline:
        await asyncio.sleep(every)
