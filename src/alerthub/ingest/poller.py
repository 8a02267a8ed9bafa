"""Supervision of pull sources: each poller runs on its own schedule, one run at a time, bounded by a
timeout, backing off after errors, owned by one instance through a lease, and stopped cleanly.

A poller reports what it sees now. A series it reported last run and no longer reports (a project
with no errors left, a monitor put in maintenance, an unmounted disk) is resolved, so nothing stays
firing only because its source fell silent about it. The series are kept in `monitor_state.cursor`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge

from alerthub.domain.clock import Clock
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.summaries import say
from alerthub.errors import SourceError, StoreError
from alerthub.ingest.series import entry_key, resolved_signal, series_entry, series_key
from alerthub.loops import wait_or_stop
from alerthub.store import monitors as monitor_store
from alerthub.store.database import Database
from alerthub.store.monitors import MonitorState
from alerthub.telemetry import LoopFailureLog

logger = logging.getLogger(__name__)

MONITOR_FAILING = "alerthub_monitor_failing"

Ingest = Callable[[Sequence[Signal]], Awaitable[object]]
# Waits `seconds` or until `stop` is set; True when stopped. Injected so tests move a FakeClock instead.
Sleep = Callable[[float, asyncio.Event], Awaitable[bool]]


class Poller(Protocol):
    """A pull source: asks one outside API and answers with the signals it sees now.

    Failures raise SourceError (retryable or not, with `retry_after` when the API said how long).
    """

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    async def poll(self) -> Sequence[Signal]: ...


@dataclass(frozen=True, slots=True)
class Schedule:
    interval: timedelta
    timeout: timedelta
    jitter: float = 0.1
    max_backoff: timedelta = timedelta(hours=1)
    failing_after: int = 3

    def next_delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds until the next run: the interval when healthy, doubling per consecutive failure up to
        `max_backoff` (never below the interval), never sooner than the API's `retry_after`.
        Jitter spreads instances and pollers so they do not hit an API in step."""
        base = max(self.interval.total_seconds(), 1.0)  # an interval of 0 must not hammer the API
        if failures:
            ceiling = max(base, self.max_backoff.total_seconds())
            base = min(base * 2 ** min(failures - 1, 30), ceiling)
        delay = base * (1 + rng.uniform(-self.jitter, self.jitter))
        return max(delay, retry_after or 0.0)


class PollerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "alerthub_poller_runs_total",
            "Poller runs, by monitor and outcome.",
            ["monitor", "outcome"],
            registry=registry,
        )
        self.failures = Gauge(
            "alerthub_poller_consecutive_failures",
            "Consecutive failed runs, by monitor.",
            ["monitor"],
            registry=registry,
        )


class Supervisor:
    def __init__(
        self,
        poller: Poller,
        *,
        db: Database,
        ingest: Ingest,
        clock: Clock,
        schedule: Schedule,
        owner: str,
        metrics: PollerMetrics,
        loop_errors: Counter,
        rng: random.Random | None = None,
        sleep: Sleep = wait_or_stop,
    ) -> None:
        self.poller = poller
        self.db = db
        self.ingest = ingest
        self.clock = clock
        self.schedule = schedule
        self.owner = owner
        self.metrics = metrics
        self.loop_errors = loop_errors
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.sleep = sleep
        self._lock = asyncio.Lock()
        self._next_run: datetime | None = None
        self.log_failure = LoopFailureLog(logger, f"poller {poller.name}: run failed outside the poll")

    @property
    def name(self) -> str:
        return self.poller.name

    @property
    def lease_name(self) -> str:
        return f"poller:{self.name}"

    async def run(self, stop: asyncio.Event) -> None:
        """The background task: run, sleep until the next run, until `stop` is set."""
        delay = await self._initial_delay()
        while not await self.sleep(delay, stop):
            try:
                await self.run_once()
            except Exception:
                # Only the bookkeeping can get here (the database went away mid-run); try again later.
                self.log_failure(extra={"monitor": self.name})
                self.loop_errors.labels(f"poller:{self.name}").inc()
                self._next_run = self.clock() + timedelta(seconds=self.schedule.next_delay(1, None, self.rng))
            delay = self._seconds_until_next_run()

    async def run_once(self) -> MonitorState | None:
        """One supervised run; None when another instance owns this poller right now."""
        async with self._lock:
            started = self.clock()
            lease_until = started + self.schedule.timeout + self.schedule.interval
            async with self.db.write() as conn:
                owned = await monitor_store.take_lease(conn, self.lease_name, self.owner, started, lease_until)
                before = await monitor_store.get(conn, self.name) if owned else None
            if not owned:
                self._next_run = started + timedelta(seconds=self.schedule.next_delay(0, None, self.rng))
                return None
            before = before or MonitorState(self.name, self.poller.kind)
            try:
                cursor = await self._attempt(before)
            except Exception as exc:  # the loop boundary of one run: every failure is recorded
                return await self._failed(before, started, exc)
            return await self._succeeded(before, started, cursor)

    async def _attempt(self, before: MonitorState) -> list[Any]:
        async with asyncio.timeout(self.schedule.timeout.total_seconds()):
            signals = list(await self.poller.poll())
        reported = {series_key(s): series_entry(s) for s in signals}
        kind = self.poller.kind
        gone = [resolved_signal(kind, self.name, e) for e in before.cursor if entry_key(e) not in reported]
        if before.consecutive_failures >= self.schedule.failing_after:
            gone.append(self._failing_signal(0, "recovered", SignalStatus.RESOLVED))
        await self.ingest(signals + [g for g in gone if g is not None])
        return list(reported.values())

    async def _succeeded(self, before: MonitorState, started: datetime, cursor: list[Any]) -> MonitorState:
        now = self.clock()
        state = replace(
            before,
            last_run=started,
            last_success=now,
            consecutive_failures=0,
            next_run=now + timedelta(seconds=self.schedule.next_delay(0, None, self.rng)),
            cursor=cursor,
        )
        await self._save(state)
        self.metrics.runs.labels(self.name, "success").inc()
        if before.consecutive_failures:
            logger.info("poller %s recovered after %d failed runs", self.name, before.consecutive_failures)
        return state

    async def _failed(self, before: MonitorState, started: datetime, exc: Exception) -> MonitorState:
        message, retry_after = self._describe(exc)
        failures = before.consecutive_failures + 1
        now = self.clock()
        state = replace(
            before,
            last_run=started,
            last_error=message[:2000],
            last_error_at=now,
            consecutive_failures=failures,
            next_run=now + timedelta(seconds=self.schedule.next_delay(failures, retry_after, self.rng)),
        )
        await self._save(state)
        self.metrics.runs.labels(self.name, "failure").inc()
        if failures >= self.schedule.failing_after:
            await self._raise_failing(failures, message)
        return state

    def _describe(self, exc: Exception) -> tuple[str, float | None]:
        extra = {"monitor": self.name, "error": str(exc)}
        if isinstance(exc, SourceError):
            logger.warning("poller %s failed: %s", self.name, exc, extra=extra)
            return str(exc), exc.retry_after
        if isinstance(exc, TimeoutError):
            message = f"timed out after {self.schedule.timeout.total_seconds():g}s"
            logger.warning("poller %s %s", self.name, message, extra=extra)
            return message, None
        if isinstance(exc, StoreError):
            logger.warning("poller %s could not store its signals: %s", self.name, exc, extra=extra)
            return f"store: {exc}", None
        logger.error("poller %s raised an unexpected error", self.name, exc_info=exc, extra=extra)
        self.loop_errors.labels(f"poller:{self.name}").inc()
        return f"{type(exc).__name__}: {exc}", None

    async def _raise_failing(self, failures: int, message: str) -> None:
        try:
            await self.ingest([self._failing_signal(failures, message, None)])
        except StoreError as exc:
            logger.warning("could not raise the monitor-failing alert", extra={"monitor": self.name, "error": str(exc)})

    def _failing_signal(self, failures: int, message: str, status: SignalStatus | None) -> Signal:
        return Signal(
            rule_name=MONITOR_FAILING,
            source="alerthub",
            value=float(failures),
            labels={"monitor": self.name},
            annotations={
                "summary": say("poller_failing", name=self.name, count=failures),
                "description": message,
            },
            status=status,
        )

    async def _save(self, state: MonitorState) -> None:
        self._next_run = state.next_run
        self.metrics.failures.labels(self.name).set(state.consecutive_failures)
        # Hold the lease until just past the next run, so another instance takes over only if we die.
        until = (state.next_run or self.clock()) + self.schedule.timeout + timedelta(seconds=30)
        async with self.db.write() as conn:
            await monitor_store.save(conn, state)
            await monitor_store.take_lease(conn, self.lease_name, self.owner, self.clock(), until)

    async def _initial_delay(self) -> float:
        """A restarted hub keeps a back-off it was in (a 429's reset); otherwise start soon, spread out."""
        try:
            async with self.db.read() as conn:
                state = await monitor_store.get(conn, self.name)
        except StoreError:
            state = None
        self._next_run = state.next_run if state else None
        spread = self.rng.uniform(0, min(self.schedule.interval.total_seconds(), 10.0))
        return max(self._seconds_until_next_run(), spread)

    def _seconds_until_next_run(self) -> float:
        if self._next_run is None:
            return 0.0
        return max((self._next_run - self.clock()).total_seconds(), 0.0)
