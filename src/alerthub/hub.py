"""The composition root: checks a configuration against every box, then builds the boxes and wires them.
Nothing here runs at import, and no box imports this module."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from alerthub.config import Config, cross_check
from alerthub.config.loader import besides, parse_config, read_data, salvage
from alerthub.delivery.action_links import stored_codec
from alerthub.delivery.channel_checks import (
    check_channel_entries,
    check_channels,
    check_people_contacts,
    with_channel_models,
)
from alerthub.delivery.delivery_metrics import DeliveryMetrics
from alerthub.delivery.sending import Addresses
from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.clock import Clock, utc_now
from alerthub.domain.instance import new_instance_id
from alerthub.errors import ConfigError, Problem
from alerthub.hub_loops import notice_loops
from alerthub.ingest.assets import AssetTagger
from alerthub.ingest.hooks import Hooks
from alerthub.ingest.transaction import IngestService
from alerthub.oncall.roster import Roster
from alerthub.pipeline.build import Pipeline, build_pipeline
from alerthub.pipeline.route_checks import pipeline_problems
from alerthub.rules.build import build_ruleset
from alerthub.rules.ruleset import RuleSet
from alerthub.rules.templates import template_problems
from alerthub.services.actions import ActionService
from alerthub.services.alerts import AlertService
from alerthub.services.escalator import Escalator, handled, wake_escalations
from alerthub.services.handoffs import handoff_problems
from alerthub.services.heartbeats import HeartbeatService
from alerthub.services.live import LiveFeed, LiveRelay
from alerthub.services.monitoring import planned_monitors, poller_tasks
from alerthub.services.oncall import OnCallService, roster_from, roster_problems
from alerthub.services.paging import PageRoute, policies_from
from alerthub.services.retention import Pruner
from alerthub.services.silences import SilenceService
from alerthub.services.sweeper import Sweeper
from alerthub.services.telegram_presses import TelegramPresses, bots_of
from alerthub.sources.registry import check_integrations, source_rules
from alerthub.sources.slack_actions import button_problems
from alerthub.sources.telegram_updates import SETTINGS as TELEGRAM
from alerthub.sources.telegram_updates import button_problems as telegram_button_problems
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
        + check_people_contacts(config)
        + pipeline_problems(config)
        + roster_problems(config)
        + handoff_problems(config)
        + button_problems(config)
        + telegram_button_problems(config)
    )


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration; raise ConfigError listing every problem with its location.
    With no path, `ALERTHUB_CONFIG`, then `./alerthub.yaml`, then the environment variables alone.
    Each channel entry comes back as its type's own config model."""
    unset: list[Problem] = []
    data = read_data(path, env, unset)
    try:
        config = parse_config(data)
    except ConfigError as exc:
        # The channel types' own keys are checked apart from the file's shape, and the checks across keys
        # run on what is valid, so that one pass names everything to fix.
        shape = unset + besides(unset, exc.problems + check_channel_entries(data))
        rest = salvage(data)
        raise ConfigError(shape + (besides(shape, check_config(rest)) if rest else [])) from None
    problems = unset + besides(unset, check_config(config))
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
    escalator: Escalator
    live: LiveFeed
    live_relay: LiveRelay
    # Reaches the other processes on the same database (topics in store/broadcast.py); a reload
    # asked of one instance is published here as Topic.RELOAD.
    broadcast: Broadcast
    background: dict[str, BackgroundTask] = field(default_factory=dict)
    # Set after a commit that may have made work due, so loops wake at once instead of at their next poll.
    wake_dispatch: asyncio.Event = field(default_factory=asyncio.Event)
    wake_delivery: asyncio.Event = field(default_factory=asyncio.Event)
    wake_escalation: asyncio.Event = field(default_factory=asyncio.Event)


def build_hub(config: Config, *, clock: Clock = utc_now, db: Database | None = None, running: Hub | None = None) -> Hub:
    """With `running`, the boxes for a reloaded configuration: on its database, counters, live feed,
    broadcast and wake-ups, which outlive a reload (hub_reload.py swaps the rest in)."""
    config = with_channel_models(config)  # each channel entry as its type's own model, secrets as secrets
    database = running.db if running else db or Database(config.storage.url)
    rules = build_ruleset(config.rules, source_rules())
    lasting = _lasting(running)
    metrics, wake_dispatch, wake_delivery, wake_escalation = lasting
    pipeline = _pipeline(config, rules, database, clock, lasting)
    hooks = _hooks(config, pipeline, wake_escalation)
    live, relay, broadcast = _live_updates(hooks, database, running)
    ingest = IngestService(database, rules, clock, hooks, AssetTagger.from_config(config.assets))
    roster = roster_from(config)
    delivery = _delivery_worker(config, database, clock, metrics, wake_delivery, roster.address)
    pipeline.dispatcher.flusher.express = delivery  # rows it can send now are its from the commit on
    escalator = _escalator(config, database, clock, metrics, roster, pipeline, hooks, (wake_escalation, wake_delivery))
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
        oncall=OnCallService(database, clock, roster),
        escalator=escalator,
        live=live,
        live_relay=relay,
        broadcast=broadcast,
        wake_dispatch=wake_dispatch,
        wake_delivery=wake_delivery,
        wake_escalation=wake_escalation,
    )
    _register_loops(hub)
    return hub


def _hooks(config: Config, pipeline: Pipeline, wake_escalation: asyncio.Event) -> Hooks:
    """Ingest drives the pipeline inside its own transaction: the alert joins its groups (and a group with
    no group_wait is flushed) in the transaction that changes it; an acknowledgement queues its notice.
    With escalation policies, an acknowledgement or a resolution also makes the alert's escalations due,
    and wakes their loop once committed, so they stop at once."""
    hooks = Hooks()
    hooks.in_transaction += [pipeline.grouper, pipeline.acknowledger, pipeline.flap_notifier]
    hooks.after_commit.append(pipeline.dispatcher.after_commit)
    if config.escalation_policies:
        hooks.in_transaction.append(wake_escalations)
        hooks.after_commit.append(lambda changes: wake_escalation.set() if handled(changes) else None)
    return hooks


def _escalator(
    config: Config,
    database: Database,
    clock: Clock,
    metrics: Metrics,
    roster: Roster,
    pipeline: Pipeline,
    hooks: Hooks,
    wakes: tuple[asyncio.Event, asyncio.Event],
) -> Escalator:
    """`wakes`: its own, and delivery's (for the pages it writes)."""
    return Escalator(
        database,
        clock,
        metrics,
        policies=policies_from(config),
        roster=roster,
        routes=PageRoute.from_config(config),
        builder=pipeline.setup.builder,
        hooks=hooks,
        wake=wakes[0],
        wake_delivery=wakes[1],
    )


class _Lasting(NamedTuple):
    """The counters and wake-ups, which a reload keeps (loops and pages wait on them)."""

    metrics: Metrics
    dispatch: asyncio.Event
    delivery: asyncio.Event
    escalation: asyncio.Event


def _lasting(running: Hub | None) -> _Lasting:
    if running is not None:
        return _Lasting(running.metrics, running.wake_dispatch, running.wake_delivery, running.wake_escalation)
    return _Lasting(Metrics(), asyncio.Event(), asyncio.Event(), asyncio.Event())


def _pipeline(config: Config, rules: RuleSet, database: Database, clock: Clock, lasting: _Lasting) -> Pipeline:
    return build_pipeline(
        config,
        rules,
        database,
        clock,
        lasting.metrics,
        wake=lasting.dispatch,
        wake_delivery=lasting.delivery,
        wake_escalation=lasting.escalation,
    )


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
    config: Config, database: Database, clock: Clock, metrics: Metrics, wake: asyncio.Event, addresses: Addresses
) -> DeliveryWorker:
    return DeliveryWorker(
        config,
        database,
        clock,
        metric_set(DeliveryMetrics, metrics.registry),
        wake=wake,
        on_error=lambda: metrics.loop_errors.labels("delivery").inc(),
        addresses=addresses,
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
    hub.background["escalation"] = hub.escalator.run
    hub.background |= notice_loops(hub)
    hub.background |= _telegram_loops(hub)
    hub.background["broadcast"] = hub.broadcast.run
    hub.background["retention"] = Pruner(hub.db, hub.clock, hub.config.storage.retention, hub.metrics).run


def _telegram_loops(hub: Hub) -> dict[str, BackgroundTask]:
    """With `integrations.telegram.poll_updates`, one loop per bot reads its buttons' presses."""
    if not TELEGRAM.among(hub.config.integrations.entries()).poll_updates:
        return {}
    codec = stored_codec(hub.db, hub.config.auth, hub.clock)
    actions = ActionService(lambda: hub.alerts, SilenceService(hub.db, hub.clock), codec, hub.clock)
    owner, ttl = new_instance_id(), hub.config.server.action_link_ttl
    return {
        f"telegram-buttons-{i}": TelegramPresses(
            bot, actions, hub.oncall.roster, hub.db, hub.clock, hub.metrics, ttl=ttl, owner=owner
        ).run
        for i, bot in enumerate(bots_of(hub.config))
    }
