"""Silence use cases: Alertmanager's rules for changing and expiring, read from the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerthub.domain.silence import LabelMatcher, SilenceState
from alerthub.errors import ConflictError, InputError, NotFoundError
from alerthub.hub import Hub
from alerthub.services.silences import SilenceDraft, SilenceService
from support.clock import FakeClock

API = (LabelMatcher("service", "api"),)


def draft(clock: FakeClock, start: float = 0, end: float = 3600, **kw: object) -> SilenceDraft:
    now = clock()
    return SilenceDraft(API, now + timedelta(seconds=start), now + timedelta(seconds=end), "ops", "deploy", **kw)  # type: ignore[arg-type]


async def test_an_active_silence_keeps_its_start_when_changed(hub: Hub, clock: FakeClock) -> None:
    service = SilenceService(hub.db, hub.clock)
    created = await service.save(draft(clock))
    clock.advance(600)
    changed = await service.save(draft(clock, start=0, end=7200, id=created.id))
    assert changed.starts_at == created.starts_at and changed.ends_at == clock() + timedelta(hours=2)
    assert changed.created_at == created.created_at and changed.updated_at == clock()


async def test_expiring_a_pending_silence_ends_it_before_it_began(hub: Hub, clock: FakeClock) -> None:
    service = SilenceService(hub.db, hub.clock)
    pending = await service.save(draft(clock, start=3600, end=7200))
    assert pending.state(clock()) is SilenceState.PENDING
    expired = await service.expire(pending.id)
    assert expired.starts_at == expired.ends_at == clock()
    assert expired.state(clock()) is SilenceState.EXPIRED


async def test_an_expired_silence_cannot_be_changed(hub: Hub, clock: FakeClock) -> None:
    service = SilenceService(hub.db, hub.clock)
    created = await service.save(draft(clock, end=60))
    clock.advance(61)
    with pytest.raises(ConflictError):
        await service.save(draft(clock, id=created.id))
    with pytest.raises(ConflictError):
        await service.expire(created.id)
    with pytest.raises(NotFoundError):
        await service.get("nope")


async def test_list_orders_active_pending_expired(hub: Hub, clock: FakeClock) -> None:
    service = SilenceService(hub.db, hub.clock)
    late = await service.save(draft(clock, end=7200))
    soon = await service.save(draft(clock, end=600))
    pending = await service.save(draft(clock, start=60, end=600))
    gone = await service.save(draft(clock, end=30))
    clock.advance(31)
    assert [s.id for s in await service.list()] == [soon.id, late.id, pending.id, gone.id]
    assert [s.id for s in await service.list([SilenceState.PENDING])] == [pending.id]


async def test_a_silence_that_would_mute_everything_is_refused(hub: Hub, clock: FakeClock) -> None:
    everything = SilenceDraft(
        (LabelMatcher("x", ".*", is_regex=True),), clock(), clock() + timedelta(hours=1), "a", "b"
    )
    with pytest.raises(InputError) as caught:
        await SilenceService(hub.db, hub.clock).save(everything)
    assert [p.location for p in caught.value.problems] == ["body.matchers"]
