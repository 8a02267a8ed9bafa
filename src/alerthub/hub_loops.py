"""The notices' loops, part of the composition root: the messages the hub sends of its own accord rather
than about an alert's change (a mute's summary and a silence's coming end, the weekly noise report, the
message to each person coming on call). hub.build_hub registers them; each looks up the running
configuration at every pass, so a reload's boxes are the ones used."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from alerthub.config.models import Config
from alerthub.domain.clock import Clock
from alerthub.pipeline.build import Pipeline
from alerthub.services.handoffs import Handoffs
from alerthub.services.mute_notices import MuteNotices
from alerthub.services.noise_reports import NoiseReports
from alerthub.services.oncall import OnCallService
from alerthub.services.paging import PageRoute
from alerthub.store.database import Database
from alerthub.telemetry import Metrics

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class Running(Protocol):
    """What the loops read of the hub (hub.Hub), whose boxes a reload swaps."""

    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def config(self) -> Config: ...
    @property
    def pipeline(self) -> Pipeline: ...
    @property
    def oncall(self) -> OnCallService: ...
    @property
    def wake_delivery(self) -> asyncio.Event: ...


def notice_loops(hub: Running) -> dict[str, Loop]:
    return {
        "mute_notices": MuteNotices(
            hub.db,
            hub.clock,
            hub.metrics,
            lambda: hub.pipeline.setup,
            hub.wake_delivery,
            lambda: (hub.oncall.roster, PageRoute.from_config(hub.config)),
        ).run,
        "noise_reports": NoiseReports(
            hub.db, hub.clock, hub.metrics, lambda: (hub.config, hub.pipeline.setup.builder), hub.wake_delivery
        ).run,
        "handoffs": Handoffs(
            hub.db, hub.clock, hub.metrics, lambda: (hub.config, hub.oncall.roster), hub.wake_delivery
        ).run,
    }
