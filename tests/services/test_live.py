"""Live pages across processes: two hubs on one PostgreSQL database stand for two `alerthub serve`
processes (api and worker, or two api instances). A change committed by either reaches the other's open
pages within a second, as the full alert, and each page sees each change once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.signal import Signal
from alerthub.hub import Hub, build_hub
from alerthub.services.sweeper import Sweeper
from alerthub.store.broadcast import PostgresBroadcast, Topic
from alerthub.store.database import Database
from support.clock import FakeClock
from support.databases import skip_or_fail_without_postgres, truncate_all

pytestmark = pytest.mark.postgres

WITHIN = 1.0


@pytest.fixture
async def two_hubs(postgres_session_url: str | None, clock: FakeClock) -> AsyncIterator[tuple[Hub, Hub]]:
    if postgres_session_url is None:
        skip_or_fail_without_postgres()
    hubs = [build_hub(Config(), clock=clock, db=Database(postgres_session_url)) for _ in range(2)]
    await truncate_all(hubs[0].db)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(hub.background["broadcast"](stop)) for hub in hubs]
    for hub in hubs:
        assert isinstance(hub.broadcast, PostgresBroadcast)
        await asyncio.wait_for(hub.broadcast.connected.wait(), 10)
    yield hubs[0], hubs[1]
    stop.set()
    await asyncio.gather(*tasks)
    for hub in hubs:
        await hub.db.dispose()


@contextlib.contextmanager
def page(hub: Hub) -> Any:
    queue = hub.live.subscribe()
    assert queue is not None
    try:
        yield queue
    finally:
        hub.live.unsubscribe(queue)


async def next_alert(queue: asyncio.Queue[Alert | None]) -> Alert:
    item = await asyncio.wait_for(queue.get(), WITHIN)
    assert item is not None, "a resync instead of the alert"
    return item


def memory_high(value: float) -> Signal:
    return Signal("system_memory_high", "system", value, {"host": "web-1"}, {"summary": "<b>memory</b>"})


async def test_a_change_on_one_instance_reaches_the_others_page_once(two_hubs: tuple[Hub, Hub]) -> None:
    a, b = two_hubs
    with page(a) as on_a, page(b) as on_b:
        [result] = await a.ingest.ingest([memory_high(95.5)])
        seen = await next_alert(on_b)
        assert (seen.id, seen.state, seen.value, seen.annotations["summary"]) == (
            result.alert_id,
            AlertState.FIRING,
            95.5,
            "<b>memory</b>",
        )
        assert (await next_alert(on_a)).id == result.alert_id
        acked = await b.alerts.acknowledge(seen.id or 0, "kim")
        assert (await next_alert(on_a)).state is AlertState.ACKNOWLEDGED
        assert (await next_alert(on_b)).state is AlertState.ACKNOWLEDGED == acked.state
        await asyncio.sleep(0.3)
        assert on_a.empty() and on_b.empty(), "a page saw a change twice"


async def test_a_change_by_the_worker_reaches_the_api_page(two_hubs: tuple[Hub, Hub], clock: FakeClock) -> None:
    """endsAt passes with no re-send: the worker's sweeper resolves; the api process's page shows it."""
    api, worker = two_hubs
    scrape = Signal("Scrape", "alertmanager", None, {"job": "a"}, ends_at=clock() + timedelta(minutes=5))
    await api.ingest.ingest([scrape], known_rules_only=False)
    with page(api) as on_api:
        clock.advance(minutes=6)
        assert await Sweeper(worker.db, clock, worker.hooks, worker.metrics).sweep_once() == 1
        assert (await next_alert(on_api)).state is AlertState.RESOLVED


async def test_a_gap_in_the_broadcast_makes_pages_resync(two_hubs: tuple[Hub, Hub]) -> None:
    a, _ = two_hubs
    assert isinstance(a.broadcast, PostgresBroadcast)
    with page(a) as on_a:
        for subscribers in a.broadcast.topics.values():
            subscribers.gap()
        assert on_a.get_nowait() is None


async def test_a_payload_this_version_cannot_read_is_skipped(two_hubs: tuple[Hub, Hub]) -> None:
    a, b = two_hubs
    with page(b) as on_b:
        a.broadcast.publish(Topic.ALERTS, "garbage :state x:y")
        [result] = await a.ingest.ingest([memory_high(97)])
        assert (await next_alert(on_b)).id == result.alert_id
