"""How the background loops wait: a wake is noticed on the loop's next turn, a stop ends any wait."""

from __future__ import annotations

import asyncio

from alerthub.loops import nap, wait_or_stop, wake_on


async def test_a_wake_ends_the_nap_on_the_next_turn_of_the_loop() -> None:
    wake = asyncio.Event()
    napping = asyncio.create_task(nap(wake, 3600))
    await asyncio.sleep(0)
    assert not napping.done()
    wake.set()
    await asyncio.sleep(0)  # one turn for the woken task to run
    await asyncio.sleep(0)
    assert napping.done()


async def test_a_nap_ends_when_its_time_is_up_and_never_starts_when_woken_already() -> None:
    wake = asyncio.Event()
    await asyncio.wait_for(nap(wake, 0.01), timeout=5)  # returns by itself, without a wake
    wake.set()
    await nap(wake, 3600)  # already woken: returns at once
    await nap(asyncio.Event(), 0)


async def test_a_stop_wakes_a_napping_loop() -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    relay = asyncio.create_task(wake_on(stop, wake))
    napping = asyncio.create_task(nap(wake, 3600))
    await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(napping, timeout=5)
    assert wake.is_set() and relay.done()


async def test_wait_or_stop_says_whether_a_stop_ended_the_wait() -> None:
    stop = asyncio.Event()
    assert await wait_or_stop(0.01, stop) is False
    waiting = asyncio.create_task(wait_or_stop(3600, stop))
    await asyncio.sleep(0)
    stop.set()
    assert await asyncio.wait_for(waiting, timeout=5) is True
