"""A storm of 500 alerts over 10 services becomes a handful of grouped messages, every alert accounted
for; several dispatchers never flush one group twice; a dead dispatcher's groups are taken over."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from alerthub.config.models import Config
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.hub import Hub
from alerthub.pipeline import dispatcher as dispatcher_module
from alerthub.store import group_claims
from alerthub.store.tables import alert_group
from support.clock import FakeClock
from support.counting import counting, statements_sent
from support.pipeline import dispatcher, groups_table, outbox

CONFIG = {
    "channels": [
        {"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"},
        {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "to": ["ops@example.com"]},
    ],
    "rules": [{"name": "api_down", "severity": "critical"}],
    "route": {"group_by": ["service"], "group_wait": "30s", "group_interval": "5m"},
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


async def storm(hub: Hub, alerts: int = 500, services: int = 10, per_request: int = 100) -> set[int]:
    ids: set[int] = set()
    for start in range(0, alerts, per_request):
        signals = [
            Signal("api_down", "test", labels={"service": f"svc{i % services}", "instance": f"i{i}"})
            for i in range(start, start + per_request)
        ]
        ids |= {r.alert_id for r in await hub.ingest.ingest(signals) if r.alert_id is not None}
    return ids


async def test_500_alerts_make_one_message_per_service_and_channel(hub: Hub, clock: FakeClock) -> None:
    ids = await storm(hub)
    assert len(ids) == 500
    assert len(await groups_table(hub)) == 10
    clock.advance(30)
    assert await dispatcher(hub).run_once() == 20
    rows = await outbox(hub)
    assert sorted({r.channel for r in rows}) == ["discord", "mail"]
    for channel in ("discord", "mail"):
        mine = [r for r in rows if r.channel == channel]
        assert len(mine) == 10
        carried = [a.id for r in mine for a in r.payload.alerts]
        assert sorted(carried) == sorted(ids), "every alert in exactly one message per channel"
        assert {r.payload.group_labels["service"] for r in mine} == {f"svc{i}" for i in range(10)}


async def test_several_dispatchers_never_flush_a_group_twice(hub: Hub, clock: FakeClock) -> None:
    await storm(hub, alerts=200, services=40, per_request=50)
    clock.advance(30)
    fleet = [dispatcher(hub) for _ in range(4)]
    written = await asyncio.gather(*(d.run_once() for d in fleet))
    assert sum(written) == 80
    rows = await outbox(hub)
    per_group = {(r.group_key, r.channel) for r in rows}
    assert len(per_group) == len(rows) == 80, "one row per group and channel, never two"
    assert sum(1 for w in written if w) >= 1


async def test_a_dead_dispatchers_groups_are_taken_over_when_its_lease_runs_out(hub: Hub, clock: FakeClock) -> None:
    await storm(hub, alerts=10, services=2, per_request=10)
    clock.advance(30)
    dead, alive = dispatcher(hub), dispatcher(hub)
    async with hub.db.write() as conn:
        claimed = await group_claims.claim_due(conn, dead.owner, clock(), dead.lease)
    assert len(claimed) == 2
    assert await alive.run_once() == 0, "leased groups are left alone"
    clock.advance(dead.lease.total_seconds() + 1)
    assert await alive.run_once() == 4
    async with hub.db.read() as conn:
        stages = await dead.flusher.stages(conn, clock(), [])
    assert await dead._flush_claimed(claimed[0], stages, clock()) == [], "the late owner finds its lease gone"
    assert len(await outbox(hub)) == 4


async def _flush_counted(hub: Hub, clock: FakeClock, services: int) -> tuple[int, int, int]:
    await storm(hub, alerts=services * 3, services=services, per_request=services * 3)
    clock.advance(30)
    with counting(hub.db) as counts:
        written = await dispatcher(hub).run_once()
    return written, counts.commits, counts.statements


async def test_one_pass_flushes_every_due_group_in_one_transaction_of_fixed_size(hub: Hub, clock: FakeClock) -> None:
    few = await _flush_counted(hub, clock, services=3)
    clock.advance(60)  # a second, bigger storm: 27 new groups; the 3 first ones wait for their group_interval
    many = await _flush_counted(hub, clock, services=30)
    assert few[0] == 3 * 2 and many[0] == 27 * 2, "one row per due group and channel"
    assert few[1] == many[1] == 1, "one write transaction per pass"
    assert few[2] == many[2], "the statements do not grow with the number of groups"


async def test_a_group_that_cannot_be_flushed_fails_alone_and_waits_for_its_lease(hub: Hub, clock: FakeClock) -> None:
    await storm(hub, alerts=30, services=3, per_request=30)
    clock.advance(30)
    broken = '{}:{service="svc1"}'
    async with hub.db.write() as conn:  # a row no dispatcher can make a message of
        await conn.execute(
            update(alert_group).where(alert_group.c.group_key == broken).values(group_labels=["not", "a", "map"])
        )
    d = dispatcher(hub)
    assert await d.run_once() == 4, "the two good groups go out, each to both channels"
    errors = hub.metrics.registry.get_sample_value("alerthub_background_errors_total", {"loop": "dispatcher"})
    assert errors and errors >= 1
    assert {r.group_key for r in await outbox(hub)} == {'{}:{service="svc0"}', '{}:{service="svc2"}'}
    assert await d.run_once() == 0, "the broken group keeps its lease: not retried at once"
    [held] = [g for g in await groups_table(hub) if g.group_key == broken]
    assert held.lease_owner == d.owner


async def test_new_alerts_cost_the_grouping_hook_no_membership_read(hub: Hub, clock: FakeClock) -> None:
    with statements_sent(hub.db) as statements:
        await storm(hub, alerts=10, services=2, per_request=10)
    assert statements and not [s for s in statements if "FROM alert_group_member" in s], "nothing to look up"
    clock.advance(1)
    resolved = [
        Signal("api_down", "test", labels={"service": f"svc{i % 2}", "instance": f"i{i}"}, status=SignalStatus.RESOLVED)
        for i in range(10)
    ]
    await hub.ingest.ingest(resolved)  # known alerts: their groups must still be found
    clock.advance(30)
    assert await dispatcher(hub).run_once() == 0, "resolved before any notification: nothing to send"
    assert await groups_table(hub) == [], "the resolved alerts left their groups"


async def test_a_pass_takes_due_groups_up_to_its_member_budget_and_the_rest_next(
    hub: Hub, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatcher_module, "_MEMBERS_PER_PASS", 7)
    await storm(hub, alerts=9, services=3, per_request=9)  # three groups of three
    clock.advance(30)
    d = dispatcher(hub)
    assert await d.run_once() == 4, "two groups (six members) fit, the third would not"
    assert await d.run_once() == 2, "the third goes in the next pass"
    assert await d.run_once() == 0


async def test_a_group_bigger_than_the_member_budget_still_goes_alone(
    hub: Hub, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatcher_module, "_MEMBERS_PER_PASS", 1)
    await storm(hub, alerts=9, services=3, per_request=9)
    clock.advance(30)
    d = dispatcher(hub)
    assert [await d.run_once() for _ in range(4)] == [2, 2, 2, 0]
