"""One call wires the pipeline into a hub: the in-transaction hooks, the wake-up, the dispatcher loop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from alerthub.config.models import Config
from alerthub.domain.alert import AlertChange
from alerthub.pipeline.acknowledge import Acknowledger
from alerthub.pipeline.checks import check_pipeline_config
from alerthub.pipeline.dispatcher import Dispatcher, PipelineSetup
from alerthub.pipeline.enqueue import PayloadBuilder, base_url
from alerthub.pipeline.grouping import Grouper, is_acknowledgement
from alerthub.pipeline.inhibit import InhibitRule
from alerthub.pipeline.routing import build_routes
from alerthub.pipeline.timeintervals import build_time_intervals
from alerthub.rules.ruleset import RuleSet

if TYPE_CHECKING:
    from alerthub.hub import Hub


def build_setup(config: Config, rules: RuleSet) -> PipelineSetup:
    """Raises ConfigError listing every matcher or time interval problem with its location."""
    check_pipeline_config(config)
    return PipelineSetup(
        config=config,
        rules=rules,
        root=build_routes(config),
        intervals=build_time_intervals(config.time_intervals),
        inhibit_rules=tuple(InhibitRule.from_config(r) for r in config.inhibit_rules),
        builder=PayloadBuilder(rules, base_url(config)),
    )


def dispatcher_for(hub: Hub, setup: PipelineSetup | None = None) -> Dispatcher:
    return Dispatcher(
        setup or build_setup(hub.config, hub.rules),
        hub.db,
        hub.clock,
        hub.metrics,
        wake=hub.wake_dispatch,
        wake_delivery=hub.wake_delivery,
        lease=hub.config.delivery.lease,
    )


def wire_pipeline(hub: Hub) -> Dispatcher:
    setup = build_setup(hub.config, hub.rules)
    dispatcher = dispatcher_for(hub, setup)
    hub.hooks.in_transaction.append(Grouper(setup.root, scheduler=dispatcher))
    hub.hooks.in_transaction.append(Acknowledger(setup.builder))

    def wake(changes: Sequence[AlertChange]) -> None:
        dispatcher.committed(changes)  # wakes the dispatcher loop when a group falls due earlier
        if any(is_acknowledgement(c) for c in changes):
            hub.wake_delivery.set()  # its notice was queued in the same transaction

    hub.hooks.after_commit.append(wake)
    hub.background["dispatcher"] = dispatcher.run
    return dispatcher
