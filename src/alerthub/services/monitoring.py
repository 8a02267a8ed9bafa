"""The pollers: which ones the configuration enables, their supervised background tasks, and the
status page that tells whether each of them is actually working."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from alerthub.config.models import Config, GA4Config
from alerthub.domain.clock import Clock
from alerthub.ingest.poller import Poller, PollerMetrics, Schedule, Supervisor
from alerthub.sources.hetrixtools_poller import HetrixToolsPoller
from alerthub.sources.sentry_poller import SentryPoller
from alerthub.sources.system import SystemPoller, host_name
from alerthub.store import monitors as monitor_store
from alerthub.store.monitors import MonitorState

if TYPE_CHECKING:
    from alerthub.hub import Hub

# Builds a poller around the HTTP client its background task owns.
PollerFactory = Callable[[httpx.AsyncClient, Clock], Poller]


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    name: str
    kind: str
    interval: timedelta
    factory: PollerFactory

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


def planned_monitors(config: Config) -> list[MonitorSpec]:
    """One spec per poller the configuration enables (an integration with its credentials set)."""
    i = config.integrations
    specs: list[MonitorSpec] = []
    if i.sentry.api_token is not None and i.sentry.org:
        sentry = i.sentry
        specs.append(MonitorSpec("sentry", "sentry", sentry.poll_interval, lambda h, c: SentryPoller(sentry, h, c)))
    if i.hetrixtools.api_key is not None:
        ht = i.hetrixtools
        specs.append(
            MonitorSpec("hetrixtools", "hetrixtools", ht.poll_interval, lambda h, c: HetrixToolsPoller(ht, h, c))
        )
    if i.ga4.property_id:
        ga4 = i.ga4
        timeout = run_timeout(ga4.poll_interval).total_seconds() / 3  # three reports per run
        specs.append(MonitorSpec("ga4", "ga4", ga4.poll_interval, lambda h, c: _ga4_poller(ga4, c, timeout)))
    if i.system.enabled:
        system = i.system
        name = f"system:{host_name(system)}"
        specs.append(MonitorSpec(name, "system", system.interval, lambda h, c: SystemPoller(system)))
    return specs


def _ga4_poller(config: GA4Config, clock: Clock, timeout: float) -> Poller:
    # Google's client brings gRPC, protobuf and google-auth, a fifth of an idle hub's memory: it is
    # loaded only by a hub that polls GA4.
    from alerthub.sources.ga4 import GA4Poller

    return GA4Poller(config, clock, timeout=timeout)


def wire_pollers(hub: Hub) -> None:
    """Register one supervised background task per enabled poller."""
    metrics = PollerMetrics(hub.metrics.registry)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    for spec in planned_monitors(hub.config):
        hub.background[f"poller:{spec.name}"] = _task(hub, spec, metrics, owner)


def supervise(hub: Hub, spec: MonitorSpec, poller: Poller, metrics: PollerMetrics, owner: str) -> Supervisor:
    return Supervisor(
        poller,
        db=hub.db,
        ingest=lambda signals: hub.ingest.ingest(signals, known_rules_only=False),
        clock=hub.clock,
        schedule=Schedule(interval=spec.interval, timeout=spec.timeout),
        owner=owner,
        metrics=metrics,
        loop_errors=hub.metrics.loop_errors,
    )


def _task(
    hub: Hub, spec: MonitorSpec, metrics: PollerMetrics, owner: str
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    async def run(stop: asyncio.Event) -> None:
        timeout = httpx.Timeout(spec.timeout.total_seconds(), connect=10.0)
        async with httpx.AsyncClient(timeout=timeout, headers={"User-Agent": "alerthub"}) as http:
            await supervise(hub, spec, spec.factory(http, hub.clock), metrics, owner).run(stop)

    return run


async def monitoring_status(hub: Hub) -> tuple[list[MonitorSpec], list[MonitorStatus]]:
    """The configured monitors with their saved state, plus host-metric monitors that other
    instances (other machines) run under the same configuration."""
    specs = planned_monitors(hub.config)
    async with hub.db.read() as conn:
        saved = {s.name: s for s in await monitor_store.list_all(conn)}
    intervals = {spec.kind: spec.interval for spec in specs}
    names = [spec.name for spec in specs]
    names += sorted(n for n, s in saved.items() if n not in names and s.kind == "system" and "system" in intervals)
    statuses = []
    for name in names:
        state = saved.get(name) or MonitorState(name, next(s.kind for s in specs if s.name == name))
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
    return specs, statuses
