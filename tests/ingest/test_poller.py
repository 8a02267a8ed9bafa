"""The supervisor: schedule, back-off, timeout, one run at a time, leases, the monitor-failing alert,
and resolution of what a poller stops reporting. Timing runs on the FakeClock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import timedelta

import pytest

from alerthub.domain.signal import Signal
from alerthub.errors import SourceError
from alerthub.hub import Hub
from alerthub.ingest.poller import Schedule
from alerthub.store import monitors as monitor_store
from support.clock import FakeClock
from support.fake_apis import alerts_of, supervisor_for


class ScriptedPoller:
    """Answers from a script: a list of signals, or an exception to raise."""

    name = "scripted"
    kind = "test"

    def __init__(self, *steps: list[Signal] | Exception) -> None:
        self.steps = list(steps)
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.hold: asyncio.Event | None = None

    async def poll(self) -> Sequence[Signal]:
        self.calls += 1
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.hold is not None:
                await self.hold.wait()
            step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
            if isinstance(step, Exception):
                raise step
            return step
        finally:
            self.running -= 1


def disk(mount: str, percent: float) -> Signal:
    return Signal("system_disk_high", "system", percent, {"host": "web1", "mount": mount})


# --- the schedule ---------------------------------------------------------------------------------


def test_healthy_runs_keep_the_interval_within_the_jitter() -> None:
    schedule = Schedule(interval=timedelta(seconds=300), timeout=timedelta(seconds=30))
    delays = [schedule.next_delay(0, None, random.Random(i)) for i in range(200)]
    assert all(270 <= d <= 330 for d in delays)
    assert max(delays) - min(delays) > 30  # really spread, not a constant


def test_failures_back_off_exponentially_up_to_the_ceiling() -> None:
    schedule = Schedule(interval=timedelta(seconds=60), timeout=timedelta(seconds=30), jitter=0)
    rng = random.Random(1)
    assert [schedule.next_delay(n, None, rng) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert schedule.next_delay(50, None, rng) == 3600


def test_a_rate_limit_reset_is_waited_for_even_when_longer_than_the_back_off() -> None:
    schedule = Schedule(interval=timedelta(seconds=60), timeout=timedelta(seconds=30))
    assert schedule.next_delay(1, 900.0, random.Random(1)) == 900.0


# --- one run --------------------------------------------------------------------------------------


async def test_a_run_ingests_the_signals_and_records_success(hub: Hub, clock: FakeClock) -> None:
    poller = ScriptedPoller([disk("/", 95.0)])
    state = await supervisor_for(hub, poller, interval=60).run_once()

    assert state is not None and state.consecutive_failures == 0
    assert state.last_run == state.last_success == clock.now
    assert state.next_run is not None and 54 <= (state.next_run - clock.now).total_seconds() <= 66
    assert (await alerts_of(hub, "system_disk_high"))["/"].state == "firing"


async def test_a_value_back_inside_thresholds_resolves(hub: Hub, clock: FakeClock) -> None:
    poller = ScriptedPoller([disk("/", 95.0)], [disk("/", 40.0)])
    supervisor = supervisor_for(hub, poller)
    await supervisor.run_once()
    clock.advance(60)
    await supervisor.run_once()
    assert (await alerts_of(hub, "system_disk_high"))["/"].state == "resolved"


async def test_a_series_the_poller_stops_reporting_is_resolved(hub: Hub, clock: FakeClock) -> None:
    poller = ScriptedPoller([disk("/", 95.0), disk("/data", 97.0)], [disk("/", 96.0)])
    supervisor = supervisor_for(hub, poller)
    await supervisor.run_once()
    clock.advance(60)
    await supervisor.run_once()

    alerts = await alerts_of(hub, "system_disk_high")
    assert alerts["/"].state == "firing"
    assert alerts["/data"].state == "resolved"


async def test_a_failure_is_recorded_with_its_message_and_backs_off(hub: Hub, clock: FakeClock) -> None:
    poller = ScriptedPoller(SourceError("sentry: credentials rejected (401): Invalid token", retryable=False))
    supervisor = supervisor_for(hub, poller, interval=60)
    state = await supervisor.run_once()
    assert supervisor.metrics.runs.labels("scripted", "failure")._value.get() == 1
    assert supervisor.metrics.failures.labels("scripted")._value.get() == 1

    assert state is not None
    assert state.consecutive_failures == 1
    assert state.last_error == "sentry: credentials rejected (401): Invalid token"
    assert state.last_error_at == clock.now and state.last_success is None
    async with hub.db.read() as conn:
        saved = await monitor_store.get(conn, "scripted")
    assert saved == state


async def test_retry_after_from_the_source_sets_the_next_run(hub: Hub, clock: FakeClock) -> None:
    poller = ScriptedPoller(SourceError("rate limited", retryable=True, retry_after=1800))
    state = await supervisor_for(hub, poller, interval=60).run_once()
    assert state is not None and state.next_run == clock.now + timedelta(seconds=1800)


async def test_three_failures_raise_monitor_failing_and_a_success_resolves_it(hub: Hub, clock: FakeClock) -> None:
    down = SourceError("hetrixtools: cannot reach http://127.0.0.1:9/: connection refused", retryable=True)
    poller = ScriptedPoller(down, down, down, [])
    supervisor = supervisor_for(hub, poller)
    for _ in range(2):
        await supervisor.run_once()
        clock.advance(600)
    assert await alerts_of(hub, "alerthub_monitor_failing") == {}

    await supervisor.run_once()
    failing = (await alerts_of(hub, "alerthub_monitor_failing"))["scripted"]
    assert failing.state == "firing" and failing.value == 3
    assert "connection refused" in failing.annotations["description"]

    clock.advance(600)
    state = await supervisor.run_once()
    assert state is not None and state.consecutive_failures == 0
    assert (await alerts_of(hub, "alerthub_monitor_failing"))["scripted"].state == "resolved"


async def test_a_hung_poll_times_out_and_counts_as_a_failure(hub: Hub) -> None:
    poller = ScriptedPoller([])
    poller.hold = asyncio.Event()  # never set: the API never answers
    state = await supervisor_for(hub, poller, timeout=0.05).run_once()
    assert state is not None and state.last_error == "timed out after 0.05s"
    assert state.consecutive_failures == 1


async def test_an_unexpected_error_is_recorded_and_counted(hub: Hub) -> None:
    poller = ScriptedPoller(KeyError("monitors"))
    state = await supervisor_for(hub, poller).run_once()
    assert state is not None and state.last_error == "KeyError: 'monitors'"
    assert hub.metrics.loop_errors.labels("poller:scripted")._value.get() == 1


async def test_never_two_runs_at_once(hub: Hub) -> None:
    poller = ScriptedPoller([])
    poller.hold = asyncio.Event()
    supervisor = supervisor_for(hub, poller)
    first = asyncio.create_task(supervisor.run_once())
    second = asyncio.create_task(supervisor.run_once())
    for _ in range(500):  # a loaded machine may take a while to start the first
        if poller.calls:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # long enough for the second to start too, were it not held back
    assert poller.calls == 1  # the second waits for the first
    poller.hold.set()
    await asyncio.wait_for(asyncio.gather(first, second), timeout=5)
    assert poller.calls == 2 and poller.most_at_once == 1


# --- several instances ----------------------------------------------------------------------------


async def test_only_the_lease_holder_polls_until_its_lease_expires(hub: Hub, clock: FakeClock) -> None:
    a_poller, b_poller = ScriptedPoller([]), ScriptedPoller([])
    a = supervisor_for(hub, a_poller, owner="instance-a", interval=60, timeout=10)
    b = supervisor_for(hub, b_poller, owner="instance-b", interval=60, timeout=10)

    assert await a.run_once() is not None
    assert await b.run_once() is None
    assert b_poller.calls == 0

    clock.advance(40)  # a is still the owner and renews
    assert await a.run_once() is not None and await b.run_once() is None

    clock.advance(3600)  # a died: its lease ran out, b takes over
    assert await b.run_once() is not None
    assert await a.run_once() is None
    assert (a_poller.calls, b_poller.calls) == (2, 1)


async def test_take_lease_is_exclusive(hub: Hub, clock: FakeClock) -> None:
    until = clock.now + timedelta(seconds=60)
    async with hub.db.write() as conn:
        assert await monitor_store.take_lease(conn, "poller:x", "a", clock.now, until)
        assert await monitor_store.take_lease(conn, "poller:x", "a", clock.now, until)  # renewal
        assert not await monitor_store.take_lease(conn, "poller:x", "b", clock.now, until)
        await monitor_store.release_lease(conn, "poller:x", "a")
        assert await monitor_store.take_lease(conn, "poller:x", "b", clock.now, until)


# --- the loop -------------------------------------------------------------------------------------


class FakeSleep:
    """Moves the FakeClock instead of sleeping; stops the loop after `runs` waits."""

    def __init__(self, clock: FakeClock, stop_after: int) -> None:
        self.clock = clock
        self.waits: list[float] = []
        self.stop_after = stop_after

    async def __call__(self, seconds: float, stop: asyncio.Event) -> bool:
        self.waits.append(seconds)
        if len(self.waits) > self.stop_after:
            stop.set()
        if stop.is_set():
            return True
        self.clock.advance(seconds)
        return False


async def test_the_loop_runs_on_schedule_backs_off_and_stops(hub: Hub, clock: FakeClock) -> None:
    boom = SourceError("server error (502)", retryable=True)
    poller = ScriptedPoller([], boom, boom, [], [])
    sleep = FakeSleep(clock, stop_after=5)
    supervisor = supervisor_for(hub, poller, interval=100, sleep=sleep)

    await asyncio.wait_for(supervisor.run(asyncio.Event()), timeout=5)

    assert poller.calls == 5
    first, *between = sleep.waits[:6]
    assert 0 <= first <= 10  # starts soon, spread out
    healthy, backoff1, backoff2, healthy_again, _ = between
    assert 90 <= healthy <= 110
    assert 90 <= backoff1 <= 110 and 180 <= backoff2 <= 220  # doubling after each failure
    assert 90 <= healthy_again <= 110


async def test_a_restarted_loop_keeps_the_wait_a_rate_limit_asked_for(hub: Hub, clock: FakeClock) -> None:
    limited = ScriptedPoller(SourceError("rate limited", retryable=True, retry_after=1200))
    await supervisor_for(hub, limited).run_once()

    sleep = FakeSleep(clock, stop_after=0)
    await asyncio.wait_for(supervisor_for(hub, ScriptedPoller([]), sleep=sleep).run(asyncio.Event()), timeout=5)
    assert sleep.waits[0] == pytest.approx(1200)


async def test_the_default_sleep_returns_at_once_when_stopped(hub: Hub) -> None:
    stop = asyncio.Event()
    poller = ScriptedPoller([])
    task = asyncio.create_task(supervisor_for(hub, poller, interval=3600).run(stop))
    await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=2)  # did not wait for the interval


async def test_an_unreadable_saved_series_is_ignored_not_fatal(hub: Hub, clock: FakeClock) -> None:
    async with hub.db.write() as conn:
        broken = monitor_store.MonitorState("scripted", "test", cursor=["x", ["a", "b"], ["r", "not-labels", None]])
        await monitor_store.save(conn, broken)
    state = await supervisor_for(hub, ScriptedPoller([disk("/", 10.0)])).run_once()
    assert state is not None and state.consecutive_failures == 0
    assert state.cursor == [["system_disk_high", {"host": "web1", "mount": "/"}, None]]
