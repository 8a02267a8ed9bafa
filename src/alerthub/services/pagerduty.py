"""PagerDuty's Events API v2 in: the routing keys of the running configuration, and change events recorded
on the timeline of the open alerts they concern.

A change event raises nothing and notifies no one: it is appended to the history of each open alert that
carries every label its routing key maps to, or whose `service` label is the change's `payload.source`
(sources/pagerduty_change.py), as an event of kind `change`. A change that concerns no open alert is
accepted and kept nowhere: alerthub has no "recent changes" list of its own.
"""

from __future__ import annotations

from alerthub.config.models import Config
from alerthub.domain.alert import AlertEvent, EventKind
from alerthub.domain.clock import Clock
from alerthub.sources.pagerduty_change import Change
from alerthub.sources.pagerduty_settings import SETTINGS, RoutingKeys
from alerthub.sources.registry import resolve
from alerthub.store import events
from alerthub.store.database import Database

ACTOR = "signal:pagerduty-change"
# A change names a service; a service with more open alerts than this is in a state no timeline helps.
MAX_ALERTS_PER_CHANGE = 1000


class _LastConfig:
    """The keys of the last configuration asked about: every event asks, and the configuration changes
    rarely (a different object when it does), so it is read once, not once per request."""

    def __init__(self) -> None:
        self._config: Config | None = None
        self._keys = RoutingKeys()

    def keys(self, config: Config) -> RoutingKeys:
        if config is not self._config:
            self._keys = RoutingKeys.of(resolve(config).of(SETTINGS))
            self._config = config
        return self._keys


_last = _LastConfig()


def routing_keys(config: Config) -> RoutingKeys:
    """`integrations.pagerduty.routing_keys[]` of this configuration, by digest with their labels."""
    return _last.keys(config)


class ChangeService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def record(self, change: Change) -> list[int]:
        """The ids of the open alerts whose timeline now shows the change. It is dated when it was
        received, so it reads in order with the rest of the history; the sender's time is in its detail."""
        event = AlertEvent(
            EventKind.CHANGE, self.clock(), ACTOR, episode=0, reason=change.summary, detail=change.detail
        )
        async with self.db.write() as conn:
            return await events.append_to_open(conn, change.selectors, event, limit=MAX_ALERTS_PER_CHANGE)
