"""Retention on both back ends: a pass deletes what `storage.retention` says and nothing else, in batches,
one pruner at a time, and on the worker's schedule."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from alerthub.config.models import RetentionConfig
from alerthub.domain.retention import PruneCounts
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.hub import Hub, build_hub
from alerthub.roles import Role
from alerthub.services.retention import EVERY, FIRST_WITHIN, LeaseHeldError, Pruner
from alerthub.store import monitors
from alerthub.store.database import Database
from alerthub.store.tables import alert, lease
from support.clock import FakeClock
from support.history import History, build_history, history_config, snapshot


@pytest.fixture
async def history(db: Database, clock: FakeClock) -> History:
    return await build_history(build_hub(history_config(), clock=clock, db=db), clock)


def pruner(h: History, retention: RetentionConfig | None = None, **kw: object) -> Pruner:
    return Pruner(h.hub.db, h.clock, retention or RetentionConfig(), pause=0, **kw)  # type: ignore[arg-type]


async def test_a_pass_deletes_what_retention_says_and_nothing_else(history: History) -> None:
    before = await snapshot(history)
    preview = await pruner(history).preview()
    counts = await pruner(history).prune()
    after = await snapshot(history)
    # Resolved on day 1 and 105, 90 days ago and more: a and f go. b and e fire, c is acknowledged and g
    # pending since day 0; d resolved on day 1 too, but fired again and last resolved on day 175.
    assert after["alerts"] == ["b", "c", "d", "e", "g"]
    assert after["events"] == {k: v for k, v in before["events"].items() if k not in "af"}
    assert after["memberships"] == before["memberships"]
    # Delivered before day 170 and about no open alert: a's and f's go with them, d's old ones by age.
    # Those about open alerts stay whatever their age (acknowledging tells the channels they reached);
    # f's notice that was never delivered stays pending, its link gone with f.
    gone = [("a", 0, "sent"), ("a", 1, "sent"), ("a", 1, "sent"), ("d", 0, "sent"), ("d", 1, "sent")]
    gone += [("d", 1, "sent"), ("d", 150, "sent"), ("f", 100, "sent"), ("f", 105, "sent")]
    expected = [n for n in before["notifications"] if n not in gone and n != ("f", 105, "pending")]
    assert after["notifications"] == sorted([*expected, ("", 105, "pending")])
    assert len(before["notifications"]) - len(after["notifications"]) == len(gone)
    # Ended 6 days ago goes (5 days kept, as Alertmanager), 4 days ago stays.
    assert after["silences"] == ["active", "recent"]
    # Every logged signal is from before day 192 (8 days kept): all 14 go.
    assert counts == PruneCounts(alerts=2, events=12, memberships=0, notifications=9, silences=1, signals=14)
    assert preview == counts, "the dry run counts what the pass then deletes"
    assert await pruner(history).prune() == PruneCounts(), "a second pass finds nothing"


async def test_nothing_goes_while_it_is_younger_than_its_retention(history: History) -> None:
    before = await snapshot(history)
    year = timedelta(days=365)
    long = RetentionConfig(resolved=year, silences=timedelta(days=30), notifications=year, signals=year)
    assert await pruner(history, long).prune() == PruneCounts()
    assert await snapshot(history) == before


async def test_small_batches_delete_the_same_rows(history: History) -> None:
    before = await snapshot(history)
    batches: list[PruneCounts] = []
    counts = await pruner(history, batch_size=1).prune(progress=batches.append)
    # Every logged signal is from before day 192 (8 days kept): all 14 go.
    assert counts == PruneCounts(alerts=2, events=12, memberships=0, notifications=9, silences=1, signals=14)
    assert all(b.alerts <= 1 and b.silences <= 1 for b in batches)
    # a and f one batch each (an empty one ends the kind); d's four old notifications one by one.
    assert [b.alerts for b in batches if b.alerts] == [1, 1]
    assert [b.notifications for b in batches if not b.alerts and b.notifications] == [1, 1, 1, 1]
    assert len(batches) >= 2 + 4 + 1
    after = await snapshot(history)
    assert after["alerts"] == ["b", "c", "d", "e", "g"] and after["silences"] == ["active", "recent"]
    assert len(before["notifications"]) - len(after["notifications"]) == 9


async def test_one_pruner_at_a_time(history: History) -> None:
    first = Pruner(history.hub.db, history.clock, RetentionConfig(), batch_size=1, pause=0.2)
    second = pruner(history)
    started = asyncio.Event()
    running = asyncio.create_task(first.prune(progress=lambda _c: started.set()))
    await asyncio.wait_for(started.wait(), 5)
    with pytest.raises(LeaseHeldError):
        await second.prune()  # between two batches of the first
    assert (await running).alerts == 2
    async with history.hub.db.read() as conn:
        assert (await conn.execute(select(lease).where(lease.c.name == "retention"))).first() is None
    assert await second.prune() == PruneCounts(), "the lease was given back at the end of the pass"


async def test_a_lease_of_a_dead_pruner_is_taken_over(history: History) -> None:
    async with history.hub.db.write() as conn:
        now = history.clock.now
        await monitors.take_lease(conn, "retention", "dead-instance", now, now + timedelta(minutes=5))
    with pytest.raises(LeaseHeldError):
        await pruner(history).prune()
    history.clock.advance(minutes=6)
    assert (await pruner(history).prune()).alerts == 2


async def test_the_worker_prunes_soon_after_start_then_hourly(db: Database, clock: FakeClock) -> None:
    hub = build_hub(history_config(), clock=clock, db=db)
    h = History(hub, clock, clock.now)
    await h.fire("a")
    await h.settle()
    await h.clear("a")
    resolved_at = clock.now
    passes: list[tuple[float, timedelta, bool]] = []

    async def sleep(seconds: float, stop: asyncio.Event) -> bool:
        async with db.read() as conn:
            present = (await conn.execute(select(alert.c.id))).first() is not None
        passes.append((seconds, clock.now - resolved_at, present))
        clock.advance(seconds)
        return len(passes) > 4

    two_hours = RetentionConfig(resolved=timedelta(hours=2))
    await Pruner(db, clock, two_hours, rng=random.Random(7), sleep=sleep, pause=0).run(asyncio.Event())
    delays = [seconds for seconds, _, _ in passes]
    assert 0 <= delays[0] <= FIRST_WITHIN.total_seconds()
    assert all(0.9 * EVERY.total_seconds() <= d <= 1.1 * EVERY.total_seconds() for d in delays[1:])
    # Seen before each sleep, i.e. after each pass: gone from the first pass past two hours on.
    assert [present for _, since, present in passes[1:]] == [since <= timedelta(hours=2) for _, since, _ in passes[1:]]
    assert not passes[-1][2]


def test_the_worker_role_runs_the_pruner_and_the_api_role_does_not(hub: Hub) -> None:
    assert "retention" in hub.background
    assert Role.WORKER.runs("retention") and Role.ALL.runs("retention") and not Role.API.runs("retention")


async def test_sqlite_gives_the_pruned_pages_back(db: Database, clock: FakeClock) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL's autovacuum reuses the space itself")
    hub = build_hub(history_config(), clock=clock, db=db)
    signals = [
        Signal("system_memory_high", "api", value=97, labels={"service": f"s{i}"}, annotations={"note": "x" * 4000})
        for i in range(300)
    ]
    await hub.ingest.ingest(signals)
    await hub.ingest.ingest([replace(s, value=None, status=SignalStatus.RESOLVED) for s in signals])

    async def pages() -> tuple[int, int]:
        async with db.read() as conn:
            count = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
            free = (await conn.exec_driver_sql("PRAGMA freelist_count")).scalar_one()
        return count, free

    full, _ = await pages()
    clock.advance(days=91)
    assert (await Pruner(db, clock, RetentionConfig(), batch_size=100, pause=0).prune()).alerts == 300
    after, free = await pages()
    assert free == 0 and after < full - 300, (full, after, free)
