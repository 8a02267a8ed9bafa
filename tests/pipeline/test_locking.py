"""PostgreSQL: a flush and an ingest touching the same group and alert at the same moment never deadlock.

An ingest locks its alerts, then the groups they join; a flush locks its group, then writes rows that
point at the group's alerts. The flush must therefore never wait for an alert an ingest holds."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from alerthub.config.models import Config
from alerthub.hub import Hub
from alerthub.store import groups
from alerthub.store.tables import alert
from support.clock import FakeClock
from support.pipeline import dispatcher, fire, outbox

CONFIG = {
    "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
    "rules": [{"name": "api_down", "severity": "critical"}],
    "route": {"group_by": ["service"], "group_wait": "30s"},
}
KEY = '{}:{service="api"}'


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


async def test_a_flush_skips_an_alert_an_ingest_holds_then_sends_it(hub: Hub, clock: FakeClock) -> None:
    if hub.db.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time: no lock can be waited on")
    alert_id = await fire(hub, "api_down", service="api")
    clock.advance(30)
    d = dispatcher(hub)
    async with hub.db.engine.begin() as ingest:
        # An ingest in flight: it holds the alert, as load_by_fingerprints(for_update=True) does ...
        await ingest.execute(select(alert.c.id).where(alert.c.id == alert_id).with_for_update())
        flush = asyncio.create_task(d.run_once())
        await asyncio.sleep(0.3)
        # ... and then wants the group, which the flush must not be sitting on.
        async with asyncio.timeout(5):
            await groups.lock(ingest, [KEY])
        assert await asyncio.wait_for(flush, 5) == 0, "the held alert waits for the next pass"
    errors = hub.metrics.registry.get_sample_value("alerthub_background_errors_total", {"loop": "dispatcher"})
    assert not errors, "no flush failed (a deadlock would have aborted one)"
    assert await d.run_once() == 1
    [row] = await outbox(hub)
    assert row.alert_ids == (alert_id,) and row.reason == "first notification"
