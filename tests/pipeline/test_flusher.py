"""A group created with no group_wait goes out with the ingest that created it: its outbox row, its
decisions and its next due time commit with the alert (no dispatcher pass in between), decided exactly
as a pass would have decided them; a rolled-back ingest leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.config.models import Config
from alerthub.domain.alert import AlertChange
from alerthub.domain.silence import LabelMatcher
from alerthub.hub import Hub, build_hub
from alerthub.services.silences import SilenceDraft, SilenceService
from alerthub.store import groups
from alerthub.store.database import Database
from alerthub.store.groups import GroupRow, NewGroup
from alerthub.store.tables import alert_group
from support.clock import FakeClock
from support.pipeline import dispatcher, fire, groups_table, outbox, trace

CONFIG = {
    "channels": [
        {"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"},
        {"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"},
    ],
    "rules": [{"name": "api_down", "severity": "critical"}, {"name": "db_down", "severity": "critical"}],
    "route": {"group_by": ["service"], "group_wait": "0s", "group_interval": "5m", "repeat_interval": "4h"},
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


def enqueued(hub: Hub) -> float:
    labels = {"status": "pending", "reason": "first notification"}
    return hub.metrics.registry.get_sample_value("alerthub_pipeline_notifications_enqueued_total", labels) or 0


async def test_a_new_group_with_no_wait_is_queued_by_the_ingest_commit(hub: Hub, clock: FakeClock) -> None:
    hub.wake_delivery.clear()
    alert_id = await fire(hub, "api_down", service="api")
    rows = await outbox(hub)
    assert [(r.channel, r.status, r.reason, r.alert_ids) for r in rows] == [
        ("discord", "pending", "first notification", (alert_id,)),
        ("hook", "pending", "first notification", (alert_id,)),
    ]
    assert hub.wake_delivery.is_set(), "delivery is woken by the commit"
    assert enqueued(hub) == 2, "counted once committed"
    lines = await trace(hub, alert_id)
    assert lines[0].startswith("pipeline:route: matched route {}")
    assert lines[1] == "pipeline:enqueue: first notification: queued for discord, hook"
    [group] = await groups_table(hub)
    assert group.flush_at == clock() + timedelta(hours=4), "next due at the repeat, like after any flush"
    assert await dispatcher(hub).run_once() == 0, "nothing left for a pass: never sent twice"


async def test_a_later_alert_of_that_group_waits_for_group_interval(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    first = await fire(hub, "api_down", service="api")
    clock.advance(10)
    second = await fire(hub, "db_down", service="api")
    assert len(await outbox(hub)) == 2, "the group exists: the second alert does not go out at once"
    clock.advance(289)
    assert await d.run_once() == 0
    clock.advance(1)
    assert await d.run_once() == 2
    last = (await outbox(hub))[-1]
    assert (last.reason, last.alert_ids) == ("new alerts added", tuple(sorted((first, second))))


async def test_a_silence_active_at_ingest_suppresses_it_there(hub: Hub, clock: FakeClock) -> None:
    draft = SilenceDraft((LabelMatcher("service", "api"),), clock.now, clock.now + timedelta(hours=1), "ops", "deploy")
    silence = await SilenceService(hub.db, hub.clock).save(draft)
    alert_id = await fire(hub, "api_down", service="api")
    assert {(r.channel, r.status) for r in await outbox(hub)} == {("discord", "suppressed"), ("hook", "suppressed")}
    assert f"pipeline:silence: silenced by {silence.id}" in " ".join(await trace(hub, alert_id))


async def test_a_rolled_back_ingest_leaves_no_message_and_counts_nothing(hub: Hub, clock: FakeClock) -> None:
    async def boom(_conn: AsyncConnection, _changes: Sequence[AlertChange], _now: datetime) -> None:
        raise RuntimeError("a later hook fails: the whole ingest rolls back")

    hub.hooks.in_transaction.append(boom)
    with pytest.raises(RuntimeError):
        await fire(hub, "api_down", service="api")
    hub.hooks.in_transaction.remove(boom)
    assert await outbox(hub) == [] and await groups_table(hub) == []
    assert enqueued(hub) == 0
    alert_id = await fire(hub, "api_down", service="api")
    rows = await outbox(hub)
    assert [r.alert_ids for r in rows] == [(alert_id,), (alert_id,)], "sent once, by the ingest that committed"
    assert enqueued(hub) == 2


async def test_with_inhibit_rules_the_new_group_is_left_to_the_dispatcher(db: Database, clock: FakeClock) -> None:
    rule = {"source_matchers": ["alertname=db_down"], "target_matchers": ["alertname=api_down"], "equal": ["service"]}
    hub = build_hub(Config.model_validate({**CONFIG, "inhibit_rules": [rule]}), clock=clock, db=db)
    await fire(hub, "api_down", service="api")
    assert await outbox(hub) == [], "inhibition reads every firing alert: not done inside an ingest"
    assert await dispatcher(hub).run_once() == 2


async def test_a_group_another_ingest_created_first_is_not_flushed_again_but_brought_forward(
    hub: Hub, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL two ingests may both find the group missing; the one whose insert loses must neither
    flush it (the other did) nor leave its alert waiting for that flush's repeat_interval."""
    real_lock = groups.lock
    key = '{}:{service="api"}'

    async def lock_then_lose_the_race(conn: AsyncConnection, keys: Iterable[str]) -> dict[str, GroupRow]:
        found = await real_lock(conn, keys)
        if key in set(keys) and key not in found:
            # The other ingest commits its group (flushed at once, next due at its repeat) right after our read.
            rival = NewGroup(key, "default", "{}", {"service": "api"}, clock() + timedelta(hours=4))
            await groups.create(conn, [rival], clock() - timedelta(seconds=10))
            await conn.execute(update(alert_group).where(alert_group.c.group_key == key).values(last_flush_at=clock()))
        return found

    monkeypatch.setattr(groups, "lock", lock_then_lose_the_race)
    await fire(hub, "api_down", service="api")
    assert await outbox(hub) == [], "the rival's group: its flush is not repeated here"
    [group] = await groups_table(hub)
    assert group.flush_at == clock() + timedelta(minutes=5), "due group_interval after the rival's flush"
