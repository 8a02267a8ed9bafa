"""The session rows on both back ends: found with their user, gone with their user, revoked once, touched
only when stale, and pruned once nobody can use them."""

from __future__ import annotations

from datetime import timedelta

from alerthub.store import sessions, users
from alerthub.store.database import Database
from support.clock import FakeClock


async def test_a_session_is_found_with_its_user_and_goes_with_them(db: Database, clock: FakeClock) -> None:
    now = clock()
    async with db.write() as conn:
        await users.add(conn, "alice", "hash", False, now)
        assert await sessions.create(conn, "h1", "alice", now, now + timedelta(days=7))
        assert not await sessions.create(conn, "h2", "nobody", now, now + timedelta(days=7))
    async with db.read() as conn:
        found = await sessions.get(conn, "h1")
        assert await sessions.get(conn, "h2") is None
    assert found is not None and (found.user_name, found.is_admin, found.revoked_at) == ("alice", False, None)
    async with db.write() as conn:
        await users.remove(conn, "alice")  # the foreign key's cascade, without remove_for_user
        await users.add(conn, "alice", "hash", True, now)  # the same name again is another user
    async with db.read() as conn:
        assert await sessions.get(conn, "h1") is None


async def test_revoke_touch_and_prune(db: Database, clock: FakeClock) -> None:
    start = clock()
    async with db.write() as conn:
        await users.add(conn, "alice", "hash", True, start)
        for name in ("live", "out", "idle", "old"):
            await sessions.create(conn, name, "alice", start, start + timedelta(days=7))
        assert await sessions.revoke(conn, "out", start)
        assert not await sessions.revoke(conn, "out", start), "revoked once"
    later = clock.advance(hours=1)
    async with db.write() as conn:
        await sessions.touch(conn, "live", later, later - timedelta(minutes=1))
        await sessions.touch(conn, "live", later + timedelta(seconds=5), later - timedelta(minutes=1))
        await sessions.touch(conn, "old", later, later - timedelta(minutes=1))
    async with db.read() as conn:
        live = await sessions.get(conn, "live")
    assert live is not None and live.last_seen_at == later, "the second touch within the minute wrote nothing"
    end = clock.advance(days=7)
    async with db.write() as conn:
        assert await sessions.prune(conn, later, start + timedelta(minutes=30)) == 2, "logged out, and idle"
        assert await sessions.prune(conn, end, start) == 2, "past the absolute lifetime"
    async with db.read() as conn:
        assert [await sessions.get(conn, n) for n in ("live", "out", "idle", "old")] == [None] * 4
