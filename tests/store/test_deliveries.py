from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from alerthub.domain.notification import NotificationStatus
from alerthub.store import deliveries
from alerthub.store.database import Database
from support.clock import FakeClock
from support.outbox_rows import add_alert, enqueue, payload, rows


async def test_claim_takes_oldest_due_rows_under_a_lease(db: Database, clock: FakeClock) -> None:
    alert = await add_alert(db, clock())
    ids = [await enqueue(db, clock() + timedelta(seconds=i), "discord", payload(alert)) for i in range(3)]
    await enqueue(db, clock(), "slack", payload(alert))
    clock.advance(1)
    async with db.write() as conn:
        claimed = await deliveries.claim(
            conn, channel="discord", now=clock(), worker="w1", lease_until=clock() + timedelta(seconds=60), limit=10
        )
    assert [c.id for c in claimed] == ids[:2]  # the third is not due yet; slack is another channel
    assert all(c.status is NotificationStatus.SENDING and c.claimed_by == "w1" and c.attempts == 1 for c in claimed)
    assert claimed[0].alert_ids == (alert.id,)
    async with db.write() as conn:
        again = await deliveries.claim(
            conn, channel="discord", now=clock(), worker="w2", lease_until=clock() + timedelta(seconds=60), limit=10
        )
    assert again == []  # leased rows are not due


async def test_release_gives_rows_back_without_counting_an_attempt(db: Database, clock: FakeClock) -> None:
    row_id = await enqueue(db, clock(), "discord", payload(await add_alert(db, clock())))
    async with db.write() as conn:
        await deliveries.claim(conn, channel="discord", now=clock(), worker="w", lease_until=clock(), limit=1)
        await deliveries.release(conn, [row_id], clock() + timedelta(seconds=5))
    [back] = await rows(db)
    assert back.status is NotificationStatus.PENDING and back.attempts == 0 and back.claimed_by is None


@pytest.mark.postgres
async def test_two_workers_never_claim_the_same_row_on_postgresql(db: Database, clock: FakeClock) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: claims cannot overlap")
    alert = await add_alert(db, clock())
    for _ in range(6):
        await enqueue(db, clock(), "discord", payload(alert))
    lease = clock() + timedelta(seconds=60)
    async with db.engine.begin() as first:
        mine = await deliveries.claim(first, channel="discord", now=clock(), worker="a", lease_until=lease, limit=4)
        # The first transaction is still open and holds its rows: SKIP LOCKED passes over them.
        async with db.engine.begin() as second:
            await second.execute(text("SET LOCAL lock_timeout = '2s'"))  # without SKIP LOCKED: fail, not hang
            theirs = await deliveries.claim(
                second, channel="discord", now=clock(), worker="b", lease_until=lease, limit=10
            )
    assert len(mine) == 4 and len(theirs) == 2
    assert not {r.id for r in mine} & {r.id for r in theirs}
