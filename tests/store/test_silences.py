"""The silence repository on both databases: round trip, replace, and `active` read from the clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from alerthub.domain.silence import LabelMatcher, Silence
from alerthub.hub import Hub
from alerthub.store import silences
from support.clock import FakeClock


def silence(clock: FakeClock, sid: str, start: float, end: float) -> Silence:
    now = clock()
    return Silence(
        sid,
        (LabelMatcher("service", "api"), LabelMatcher("severity", "high|critical", is_regex=True, is_equal=False)),
        now + timedelta(seconds=start),
        now + timedelta(seconds=end),
        "ops",
        "수정 배포",
        now,
        now,
    )


async def test_round_trip_and_active(hub: Hub, clock: FakeClock) -> None:
    active, pending, expired = (
        silence(clock, "a", -60, 60),
        silence(clock, "p", 60, 120),
        silence(clock, "e", -120, -60),
    )
    async with hub.db.write() as conn:
        for s in (active, pending, expired):
            await silences.add(conn, s)
    async with hub.db.read() as conn:
        assert await silences.get(conn, "a") == active
        assert [s.id for s in await silences.active(conn, clock())] == ["a"]
        assert {s.id for s in await silences.list_all(conn)} == {"a", "p", "e"}
        assert await silences.get(conn, "missing") is None
    clock.advance(90)
    async with hub.db.read() as conn:
        assert [s.id for s in await silences.active(conn, clock())] == ["p"], "a ended, p began"


async def test_replace_changes_everything_but_id_and_creation(hub: Hub, clock: FakeClock) -> None:
    original = silence(clock, "x", 0, 60)
    async with hub.db.write() as conn:
        await silences.add(conn, original)
        await silences.replace(conn, replace(original, comment="longer", ends_at=original.ends_at + timedelta(hours=1)))
    async with hub.db.read() as conn:
        stored = await silences.get(conn, "x")
    assert stored is not None
    assert (stored.comment, stored.ends_at, stored.created_at) == (
        "longer",
        original.ends_at + timedelta(hours=1),
        original.created_at,
    )
