"""The group repository on both databases: timers only move earlier, leases, memberships, clean-up."""

from __future__ import annotations

from datetime import timedelta

from alerthub.hub import Hub
from alerthub.store import group_claims, group_members, group_timers, groups
from alerthub.store.group_members import MemberUpdate
from alerthub.store.group_timers import Flushed
from alerthub.store.groups import NewGroup
from support.clock import FakeClock
from support.pipeline import fire

LEASE = timedelta(seconds=60)


async def make(hub: Hub, clock: FakeClock, *keys: str, wait: float = 30) -> None:
    async with hub.db.write() as conn:
        await groups.create(
            conn, [NewGroup(k, "r", "{}", {"k": k}, clock() + timedelta(seconds=wait)) for k in keys], clock()
        )


async def test_create_is_idempotent_and_bring_forward_only_moves_earlier(hub: Hub, clock: FakeClock) -> None:
    await make(hub, clock, "a", "b")
    await make(hub, clock, "a", wait=999)  # a second create changes nothing
    t0 = clock()
    async with hub.db.write() as conn:
        await group_timers.bring_forward(conn, [("a", t0 + timedelta(seconds=10)), ("b", t0 + timedelta(seconds=60))])
    async with hub.db.read() as conn:
        found = await groups.get(conn, ["a", "b"])
    assert found["a"].flush_at == t0 + timedelta(seconds=10)
    assert found["b"].flush_at == t0 + timedelta(seconds=30), "already due earlier: kept"
    assert found["a"].group_labels == {"k": "a"}


async def test_claims_take_due_unleased_groups_until_the_lease_runs_out(hub: Hub, clock: FakeClock) -> None:
    await make(hub, clock, "a", "b", wait=0)
    await make(hub, clock, "later", wait=300)
    async with hub.db.write() as conn:
        assert sorted(await group_claims.claim_due(conn, "one", clock(), LEASE)) == ["a", "b"]
    async with hub.db.write() as conn:
        assert await group_claims.claim_due(conn, "two", clock(), LEASE) == []
        assert await group_claims.lock_claimed(conn, "a", "two") is None
        assert (await group_claims.lock_claimed(conn, "a", "one")) is not None
    clock.advance(61)
    async with hub.db.write() as conn:
        assert sorted(await group_claims.claim_due(conn, "two", clock(), LEASE)) == ["a", "b"]
        assert await group_claims.lock_claimed(conn, "a", "one") is None, "the first owner lost it"
    async with hub.db.write() as conn:
        await group_claims.release(conn, "a", "two")
    async with hub.db.write() as conn:
        assert await group_claims.claim_due(conn, "three", clock(), LEASE, limit=1) == ["a"]


async def test_members_and_finish_flush(hub: Hub, clock: FakeClock) -> None:
    first = await fire(hub, "system_memory_high", 97, host="a")
    second = await fire(hub, "system_memory_high", 97, host="b")
    await make(hub, clock, "g", wait=0)
    async with hub.db.write() as conn:
        assert await group_members.add_members(conn, [("g", first), ("g", second)], clock()) == [
            ("g", first),
            ("g", second),
        ]
        assert await group_members.add_members(conn, [("g", first)], clock()) == []
        assert await group_members.groups_of(conn, [first, second, 999]) == {first: ["g"], second: ["g"]}
    async with hub.db.write() as conn:
        await group_claims.claim_due(conn, "me", clock(), LEASE)
        update = MemberUpdate(first, "firing", "high", clock(), None)
        await group_timers.finish_flushes(
            conn, [Flushed("g", clock() + timedelta(hours=4), [update], [second])], clock()
        )
    async with hub.db.read() as conn:
        [member] = await group_members.members(conn, "g")
        [group] = (await groups.get(conn, ["g"])).values()
    assert (member.alert.id, member.notified_state, member.notified_at) == (first, "firing", clock())
    assert (group.flush_at, group.last_flush_at) == (clock() + timedelta(hours=4), clock())
    async with hub.db.write() as conn:
        assert await group_claims.claim_due(conn, "other", clock(), LEASE) == [], "released, but not due"
        await group_timers.finish_flushes(conn, [Flushed("g", None, [], [first])], clock())
    async with hub.db.read() as conn:
        assert await groups.get(conn, ["g"]) == {}, "an empty group is deleted"
        assert await group_timers.next_due(conn, clock()) is None


async def test_one_pass_finishes_many_groups_and_only_empties_go(hub: Hub, clock: FakeClock) -> None:
    first = await fire(hub, "system_memory_high", 97, host="a")
    second = await fire(hub, "system_memory_high", 97, host="b")
    await make(hub, clock, "g1", "g2", wait=0)
    async with hub.db.write() as conn:
        await group_members.add_members(conn, [("g1", first), ("g2", second)], clock())
        assert [g.group_key for g in await group_claims.lock_due(conn, clock(), 10)] == ["g1", "g2"]
        later = clock() + timedelta(hours=4)
        update = MemberUpdate(first, "firing", "high", clock(), None)
        await group_timers.finish_flushes(
            conn, [Flushed("g1", later, [update], []), Flushed("g2", None, [], [second])], clock()
        )
    async with hub.db.read() as conn:
        found = await groups.get(conn, ["g1", "g2"])
        members = await group_members.members_of(conn, ["g1", "g2"])
        assert await group_timers.next_due(conn, clock()) == later
    assert list(found) == ["g1"] and found["g1"].flush_at == later, "g2 emptied and went; g1 is due again later"
    assert [(m.alert.id, m.notified_state) for m in members["g1"]] == [(first, "firing")] and "g2" not in members


async def test_next_due_waits_for_another_owners_live_lease(hub: Hub, clock: FakeClock) -> None:
    await make(hub, clock, "a", wait=0)
    async with hub.db.write() as conn:
        await group_claims.claim_due(conn, "other", clock(), LEASE)
    async with hub.db.read() as conn:
        assert await group_timers.next_due(conn, clock()) == clock() + LEASE, "held: due again when the lease runs out"
    async with hub.db.write() as conn:
        assert await group_claims.lock_due(conn, clock(), 10) == [], "a leased group is not taken"
