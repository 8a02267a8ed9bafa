"""The composition root: builds every box from a validated Config. Nothing here runs at import."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from alerthub.config.models import Config
from alerthub.delivery.wiring import wire_delivery
from alerthub.domain.clock import Clock, utc_now
from alerthub.pipeline.wiring import wire_pipeline
from alerthub.rules.build import build_ruleset
from alerthub.rules.ruleset import RuleSet
from alerthub.services.alerts import AlertService
from alerthub.services.heartbeats import wire_heartbeats
from alerthub.services.hooks import Hooks
from alerthub.services.ingest import IngestService
from alerthub.services.monitoring import wire_pollers
from alerthub.services.sweeper import Sweeper
from alerthub.store.database import Database
from alerthub.telemetry import Metrics

logger = logging.getLogger(__name__)

BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class Hub:
    config: Config
    clock: Clock
    db: Database
    rules: RuleSet
    hooks: Hooks
    metrics: Metrics
    ingest: IngestService
    alerts: AlertService
    background: dict[str, BackgroundTask] = field(default_factory=dict)
    # Set after a commit that may have made work due, so loops wake at once instead of at their next poll.
    wake_dispatch: asyncio.Event = field(default_factory=asyncio.Event)
    wake_delivery: asyncio.Event = field(default_factory=asyncio.Event)


def build_hub(config: Config, *, clock: Clock = utc_now, db: Database | None = None) -> Hub:
    database = db or Database(config.storage.url)
    rules = build_ruleset(config.rules)
    hooks = Hooks()
    metrics = Metrics()
    hub = Hub(
        config=config,
        clock=clock,
        db=database,
        rules=rules,
        hooks=hooks,
        metrics=metrics,
        ingest=IngestService(database, rules, clock, hooks),
        alerts=AlertService(database, clock, hooks),
    )
    hub.background["sweeper"] = Sweeper(database, clock, hooks, metrics).run
    wire_heartbeats(hub)
    wire_pollers(hub)
    wire_pipeline(hub)
    wire_delivery(hub)
    return hub
