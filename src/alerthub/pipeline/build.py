"""The notification pipeline, put together in one place and read top to bottom:

1. route      `routing.py`      the routing tree picks each alert's receivers and group (`group_by`)
2. group      `grouping.py`     inside the ingest transaction: the alert joins its groups; a group's timers
                                (`group_wait`, `group_interval`, `repeat_interval`) say when it is due
   ── the dispatcher (`dispatcher.py`) takes due groups; `group_flush.py` reads and writes them ──
   flapping   `flapping.py`     a flapping alert is held back; its spell's start and end are notices
3. inhibit    `inhibit.py`      ┐ `setup.mute_stages`: each a `Stage`, silence and inhibition
4. time       `time_window.py`  │ one `MuteStage` (`mute.py`) over their `Muter`
5. silence    `silence.py`      ┘
6. dedup      `dedup.py`        per channel: what is news since the group's last message
7. fan-out    `flush_plan.py`   one message per channel of the receiver
8. enqueue    `enqueue.py`      outbox rows, written in the transaction that decided them; an alert told
                                as firing on a route with an escalation policy starts its escalation
                                (`store/escalations.py`), whose steps `services/escalator.py` takes

An acknowledgement queues its own notice (`acknowledge.py`) in the transaction that records it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from alerthub.config.models import Config
from alerthub.domain.clock import Clock
from alerthub.domain.rule import RuleLookup
from alerthub.pipeline.acknowledge import Acknowledger
from alerthub.pipeline.dispatcher import Dispatcher
from alerthub.pipeline.flapping import FlapNotifier
from alerthub.pipeline.grouping import Grouper
from alerthub.pipeline.setup import PipelineSetup, build_setup
from alerthub.store.database import Database
from alerthub.telemetry import Metrics


@dataclass(frozen=True, slots=True)
class Pipeline:
    """What the composition root hooks into ingest: two in-transaction hooks (grouping, the
    acknowledgement notice), the after-commit wake-up, and the dispatcher's loop."""

    setup: PipelineSetup
    dispatcher: Dispatcher
    grouper: Grouper
    acknowledger: Acknowledger
    flap_notifier: FlapNotifier


def build_pipeline(
    config: Config,
    rules: RuleLookup,
    db: Database,
    clock: Clock,
    metrics: Metrics,
    *,
    wake: asyncio.Event,
    wake_delivery: asyncio.Event,
    wake_escalation: asyncio.Event | None = None,
    lease: timedelta | None = None,
) -> Pipeline:
    """Raises ConfigError listing every matcher or time interval problem with its location."""
    setup = build_setup(config, rules)
    dispatcher = Dispatcher(
        setup,
        db,
        clock,
        metrics,
        wake=wake,
        wake_delivery=wake_delivery,
        wake_escalation=wake_escalation,
        lease=lease if lease is not None else config.delivery.lease,
    )
    grouper = Grouper(setup.root, scheduler=dispatcher)
    return Pipeline(setup, dispatcher, grouper, Acknowledger(setup.builder), FlapNotifier(setup.builder))
