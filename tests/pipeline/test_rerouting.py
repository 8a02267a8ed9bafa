"""An alert whose severity rises into another route moves there: its old group lets it go quietly and its
new group tells the new receiver."""

from __future__ import annotations

import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from support.clock import FakeClock
from support.pipeline import dispatcher, fire, groups_table, outbox

CONFIG = {
    "channels": [
        {"name": "chat", "type": "discord", "url": "http://127.0.0.1:9/chat"},
        {"name": "pager", "type": "webhook", "url": "http://127.0.0.1:9/pager"},
    ],
    "rules": [{"name": "api_slow", "thresholds": {"warning": 1000, "critical": 3000}}],
    "route": {
        "receiver": "chat",
        "group_by": ["service"],
        "group_wait": "0s",
        "routes": [{"matchers": ['severity="critical"'], "receiver": "pager"}],
    },
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


async def test_escalation_moves_the_alert_to_the_critical_route(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    await fire(hub, "api_slow", 1500, service="api")  # group_wait 0: queued with the ingest's commit
    assert await d.run_once() == 0
    assert [(r.channel, r.reason) for r in await outbox(hub)] == [("chat", "first notification")]
    clock.advance(60)
    await fire(hub, "api_slow", 5000, service="api")
    assert [g.group_key for g in await groups_table(hub)] == [
        '{}/{severity="critical"}/0:{service="api"}',
        '{}:{service="api"}',
    ]
    assert await d.run_once() == 0, "the new group went out with the ingest; the old one has nothing to say"
    rows = await outbox(hub)
    assert [(r.channel, r.reason) for r in rows] == [("chat", "first notification"), ("pager", "first notification")]
    clock.advance(240)  # the old group's next tick: nothing left in it, nothing to say
    assert await d.run_once() == 0
    assert [g.group_key for g in await groups_table(hub)] == ['{}/{severity="critical"}/0:{service="api"}']
