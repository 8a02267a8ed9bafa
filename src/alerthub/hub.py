"""The composition root: checks a configuration against every box, then builds the boxes and wires them.
Nothing here runs at import, and no box imports this module."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerthub.config import Config, cross_check
from alerthub.config.loader import parse_config, read_data
from alerthub.delivery.channel_checks import check_channel_entries, check_channels, with_channel_models
from alerthub.delivery.delivery_metrics import DeliveryMetrics
from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.clock import Clock, utc_now
from alerthub.errors import ConfigError, Problem
from alerthub.ingest.assets import AssetTagger
from alerthub.ingest.hooks import Hooks
from alerthub.ingest.transaction import IngestService
from alerthub.pipeline.build import Pipeline, build_pipeline
from alerthub.pipeline.route_checks import pipeline_problems
from alerthub.rules.build import build_ruleset
from alerthub.rules.ruleset import RuleSet
from alerthub.rules.templates import template_problems
from alerthub.services.alerts import AlertService
from alerthub.services.heartbeats import HeartbeatService
from alerthub.services.live import LiveFeed, LiveRelay
from alerthub.services.monitoring import planned_monitors, poller_tasks
from alerthub.services.oncall import OnCallService, roster_from, roster_problems
from alerthub.services.retention import Pruner
from alerthub.services.sweeper import Sweeper
from alerthub.sources.registry import check_integrations, source_rules
from alerthub.store.broadcast import Broadcast, broadcast_for
from alerthub.store.database import Database
from alerthub.telemetry import Metrics, metric_set

logger = logging.getLogger(__name__)

BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def check_config(config: Config) -> list[Problem]:
    """Every problem of a configuration whose shape is valid: across its keys, and what only the boxes
    can see (rule templates, matchers and time intervals, channel templates and URLs, integrations)."""
    return (
        cross_check(config)
        + template_problems(config.rules)
        + check_integrations(config)
        + check_channels(config)
        + pipeline_problems(config)
        + roster_problems(config)
    )


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration; raise ConfigError listing every problem with its location.
    With no path, `ALERTHUB_CONFIG`, then `./alerthub.yaml`, then the environment variables alone.
    Each channel entry comes back as its type's own config model."""
    data = read_data(path, env)
    try:
        config = parse_config(data)
    except ConfigError as exc:
        # The channel types' own keys are checked apart from the file's shape: report them too.
        raise ConfigError(exc.problems + check_channel_entries(data)) from None
    problems = check_config(config)
    if problems:
        raise ConfigError(problems)
    return with_channel_models(config)


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
    heartbeats: HeartbeatService
    pipeline: Pipeline
    delivery: DeliveryWorker
    oncall: OnCallService
    live: LiveFeed
    live_relay: LiveRelay
    # Reaches the other processes on the same database (topics in store/broadcast.py); a reload
    # asked of one instance is published here as Topic.RELOAD.
    broadcast: Broadcast
    background: dict[str, BackgroundTask] = field(default_factory=dict)
    # Set after a commit that may have made work due, so loops wake at once instead of at their next poll.
    wake_dispatch: asyncio.Event = field(default_factory=asyncio.Event)
    wake_delivery: asyncio.Event = field(default_factory=asyncio.Event)


def build_hub(config: Config, *, clock: Clock = utc_now, db: Database | None = None, running: Hub | None = None) -> Hub:
    """With `running`, the boxes for a reloaded configuration: on its database, counters, live feed,
    broadcast and wake-ups, which outlive a reload (hub_reload.py swaps the rest in)."""
    config = with_channel_models(config)  # each channel entry as its type's own model, secrets as secrets
    database = running.db if running else db or Database(config.storage.url)
    rules = build_ruleset(config.rules, source_rules())
    metrics, wake_dispatch, wake_delivery = _lasting(running)
    pipeline = build_pipeline(config, rules, database, clock, metrics, wake=wake_dispatch, wake_delivery=wake_delivery)
    # Ingest drives the pipeline inside its own transaction: the alert joins its groups (and a group with
    # no group_wait is flushed) in the transaction that changes it; an acknowledgement queues its notice.
    hooks = Hooks()
    hooks.in_transaction += [pipeline.grouper, pipeline.acknowledger]
    hooks.after_commit.append(pipeline.dispatcher.after_commit)
    live, relay, broadcast = _live_updates(hooks, database, running)
    ingest = IngestService(database, rules, clock, hooks, AssetTagger.from_config(config.assets))
    delivery = _delivery_worker(config, database, clock, metrics, wake_delivery)
    hub = Hub(
        config=config,
        clock=clock,
        db=database,
        rules=rules,
        hooks=hooks,
        metrics=metrics,
        ingest=ingest,
        alerts=AlertService(database, clock, hooks, pipeline.setup.inhibit_rules),
        heartbeats=HeartbeatService(database, clock, ingest, config, metrics),
        pipeline=pipeline,
        delivery=delivery,
        oncall=OnCallService(database, clock, roster_from(config)),
        live=live,
        live_relay=relay,
        broadcast=broadcast,
        wake_dispatch=wake_dispatch,
        wake_delivery=wake_delivery,
    )
    _register_loops(hub)
    return hub


def _lasting(running: Hub | None) -> tuple[Metrics, asyncio.Event, asyncio.Event]:
    """The counters and wake-ups, which a reload keeps (loops and pages wait on them)."""
    if running is not None:
        return running.metrics, running.wake_dispatch, running.wake_delivery
    return Metrics(), asyncio.Event(), asyncio.Event()


def _live_updates(hooks: Hooks, database: Database, running: Hub | None) -> tuple[LiveFeed, LiveRelay, Broadcast]:
    """Pages get this process's changes in-process; the relay carries them to the other processes on the
    same database, and theirs here. A reload keeps them: open pages and subscriptions stay."""
    if running is not None:
        live, relay, broadcast = running.live, running.live_relay, running.broadcast
    else:
        broadcast = broadcast_for(database)
        live = LiveFeed()
        relay = LiveRelay(live, broadcast, database)
    hooks.after_commit += [live.publish, relay.after_commit]
    return live, relay, broadcast


def _delivery_worker(
    config: Config, database: Database, clock: Clock, metrics: Metrics, wake: asyncio.Event
) -> DeliveryWorker:
    return DeliveryWorker(
        config,
        database,
        clock,
        metric_set(DeliveryMetrics, metrics.registry),
        wake=wake,
        on_error=lambda: metrics.loop_errors.labels("delivery").inc(),
    )


def _register_loops(hub: Hub) -> None:
    hub.background["sweeper"] = Sweeper(hub.db, hub.clock, hub.hooks, hub.metrics, hub.rules).run
    hub.background["heartbeats"] = hub.heartbeats.run
    hub.background |= poller_tasks(
        planned_monitors(hub.config),
        db=hub.db,
        clock=hub.clock,
        ingest=lambda signals: hub.ingest.ingest(signals, known_rules_only=False),
        registry=hub.metrics.registry,
        loop_errors=hub.metrics.loop_errors,
    )
    hub.background["dispatcher"] = hub.pipeline.dispatcher.run
    hub.background["delivery"] = hub.delivery.run
    hub.background["broadcast"] = hub.broadcast.run
    hub.background["retention"] = Pruner(hub.db, hub.clock, hub.config.storage.retention, hub.metrics).run
