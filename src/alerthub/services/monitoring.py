"""The pollers: which ones the configuration enables, their supervised background tasks, and the
status page that tells whether each of them is actually working; and what every source has sent lately,
by the signal log. Which pollers exist is the sources' registry's business; nothing here names one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter

from alerthub.config.models import Config
from alerthub.domain.clock import Clock
from alerthub.domain.instance import new_instance_id
from alerthub.domain.signal_log import SourceActivity
from alerthub.ingest.poller import Ingest, Poller, PollerMetrics, Schedule, Supervisor
from alerthub.services import heartbeats
from alerthub.sources.contracts import PullSource
from alerthub.sources.registry import Integrations, resolve
from alerthub.store import monitors as monitor_store
from alerthub.store import signal_log
from alerthub.store.database import Database
from alerthub.store.monitors import MonitorState
from alerthub.telemetry import metric_set

# Builds a poller around the HTTP client its background task owns.
PollerFactory = Callable[[httpx.AsyncClient, Clock], Poller]
BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
# How far back the status counts each source's signals.
SOURCE_WINDOW = timedelta(hours=24)
# alerthub's own signals (a heartbeat gone quiet, a poller failing: ingest/poller.py) are not a source's.
OWN_SOURCES = frozenset({heartbeats.SOURCE, "alerthub"})


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    name: str
    kind: str
    interval: timedelta
    factory: PollerFactory
    per_machine: bool = False

    @property
    def timeout(self) -> timedelta:
        return run_timeout(self.interval)


def run_timeout(interval: timedelta) -> timedelta:
    """Half the interval, between 10 s and 2 min: a hung API never delays the next run much."""
    return min(max(interval / 2, timedelta(seconds=10)), timedelta(minutes=2))


@dataclass(frozen=True, slots=True)
class MonitorStatus:
    name: str
    kind: str
    interval_seconds: float
    last_run: datetime | None
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    next_run: datetime | None
    consecutive_failures: int

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures == 0


def plan_monitors(integrations: Integrations) -> list[MonitorSpec]:
    """One spec per pull source the configuration enables (an integration with its credentials set)."""
    specs = []
    for source in integrations.pull:
        settings = integrations.of(source.settings)
        if source.enabled(settings):
            specs.append(_spec(source, settings))
    return specs


def planned_monitors(config: Config) -> list[MonitorSpec]:
    return plan_monitors(resolve(config))


def _spec(source: PullSource[Any], settings: object) -> MonitorSpec:
    interval = source.interval(settings)
    timeout = run_timeout(interval)

    def factory(http: httpx.AsyncClient, clock: Clock) -> Poller:
        return source.poller(settings, http, clock, timeout)

    return MonitorSpec(source.monitor_name(settings), source.kind, interval, factory, source.per_machine)


@dataclass(frozen=True, slots=True)
class _Wiring:
    db: Database
    clock: Clock
    ingest: Ingest
    metrics: PollerMetrics
    loop_errors: Counter
    owner: str


def poller_tasks(
    monitors: Sequence[MonitorSpec],
    *,
    db: Database,
    clock: Clock,
    ingest: Ingest,
    registry: CollectorRegistry,
    loop_errors: Counter,
) -> dict[str, BackgroundTask]:
    """One supervised background task per planned monitor, by task name (`poller:<monitor name>`)."""
    owner = new_instance_id()
    wiring = _Wiring(db, clock, ingest, metric_set(PollerMetrics, registry), loop_errors, owner)
    return {f"poller:{spec.name}": _task(spec, wiring) for spec in monitors}


def _supervisor(spec: MonitorSpec, poller: Poller, wiring: _Wiring) -> Supervisor:
    return Supervisor(
        poller,
        db=wiring.db,
        ingest=wiring.ingest,
        clock=wiring.clock,
        schedule=Schedule(interval=spec.interval, timeout=spec.timeout),
        owner=wiring.owner,
        metrics=wiring.metrics,
        loop_errors=wiring.loop_errors,
    )


def _task(spec: MonitorSpec, wiring: _Wiring) -> BackgroundTask:
    async def run(stop: asyncio.Event) -> None:
        timeout = httpx.Timeout(spec.timeout.total_seconds(), connect=10.0)
        async with httpx.AsyncClient(timeout=timeout, headers={"User-Agent": "alerthub"}) as http:
            await _supervisor(spec, spec.factory(http, wiring.clock), wiring).run(stop)

    return run


async def monitoring_status(
    db: Database, monitors: Sequence[MonitorSpec]
) -> tuple[Sequence[MonitorSpec], list[MonitorStatus]]:
    """The planned monitors with their saved state, plus the per-machine monitors (host metrics) that
    other instances, on other machines, run under the same configuration."""
    async with db.read() as conn:
        saved = {s.name: s for s in await monitor_store.list_all(conn)}
    intervals = {spec.kind: spec.interval for spec in monitors}
    names = [spec.name for spec in monitors]
    per_machine = {spec.kind for spec in monitors if spec.per_machine}
    names += sorted(n for n, s in saved.items() if n not in names and s.kind in per_machine)
    statuses = []
    for name in names:
        state = saved.get(name) or MonitorState(name, next(s.kind for s in monitors if s.name == name))
        statuses.append(
            MonitorStatus(
                name=name,
                kind=state.kind,
                interval_seconds=intervals[state.kind].total_seconds(),
                last_run=state.last_run,
                last_success=state.last_success,
                last_error=state.last_error,
                last_error_at=state.last_error_at,
                next_run=state.next_run,
                consecutive_failures=state.consecutive_failures,
            )
        )
    return monitors, statuses


async def source_activity(db: Database, now: datetime) -> list[SourceActivity]:
    """Every source that sent a signal the log still keeps (`storage.retention.signals`), by name: its last
    signal and how many in the `SOURCE_WINDOW` before `now`. A poller's signals count under its source."""
    async with db.read() as conn:
        found = await signal_log.activity_by_source(conn, now - SOURCE_WINDOW)
    return [a for a in found if a.source not in OWN_SOURCES]
