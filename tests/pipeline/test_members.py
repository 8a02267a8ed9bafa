"""A group's flush re-reads only the alerts that are new to it or changed since the last flush, yet every
message still lists the whole group as it is now; and an alert's trace says "queued" only for a message
that was news about it."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from alerthub.config.models import Config
from alerthub.domain.signal import Signal
from alerthub.hub import Hub
from alerthub.store import group_members
from support.clock import FakeClock
from support.pipeline import dispatcher, fire, outbox, trace

CONFIG = {
    "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
    "rules": [
        {"name": "api_down", "severity": "critical"},
        {"name": "api_slow", "thresholds": {"warning": 1000, "critical": 3000}},
    ],
    "route": {"group_by": ["service"], "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"},
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Every whole-alert read a flush makes, by alert ids."""
    seen: list[list[int]] = []
    real = group_members.alerts_by_id

    async def spy(conn: object, alert_ids: Iterable[int]) -> object:
        ids = sorted(alert_ids)
        seen.append(ids)
        return await real(conn, ids)  # type: ignore[arg-type]

    monkeypatch.setattr(group_members, "alerts_by_id", spy)
    return seen


async def down(hub: Hub, *instances: str) -> list[int]:
    return [await fire(hub, "api_down", service="api", instance=i) for i in instances]


async def test_a_growing_group_reads_only_its_new_alerts_and_lists_them_all(
    hub: Hub, clock: FakeClock, reads: list[list[int]]
) -> None:
    d = dispatcher(hub)
    first = await down(hub, "a", "b", "c")
    clock.advance(30)
    assert await d.run_once() == 1
    later = await down(hub, "d")
    clock.advance(300)
    assert await d.run_once() == 1
    assert reads == [sorted(first), later], "the three alerts already read are not read again"
    rows = await outbox(hub)
    assert rows[-1].reason == "new alerts added"
    assert sorted(a.id for a in rows[-1].payload.alerts) == sorted(first + later), "the message lists the group"
    assert rows[-1].alert_ids == tuple(sorted(first + later))


async def test_an_alert_that_changed_is_read_again_and_the_message_shows_it_as_it_is_now(
    hub: Hub, clock: FakeClock, reads: list[list[int]]
) -> None:
    d = dispatcher(hub)
    slow = await fire(hub, "api_slow", 1500, service="api")
    clock.advance(30)
    await d.run_once()
    clock.advance(10)
    await fire(hub, "api_slow", 4000, service="api")  # severity rises: warning -> critical
    clock.advance(300)
    assert await d.run_once() == 1
    assert reads == [[slow], [slow]]
    last = (await outbox(hub))[-1]
    assert last.reason == "severity changed"
    [snapshot] = last.payload.alerts
    assert (snapshot.severity, snapshot.value, snapshot.count) == ("critical", 4000, 2)


async def test_a_resent_alert_shows_its_new_count_while_others_join(hub: Hub, clock: FakeClock) -> None:
    d = dispatcher(hub)
    [a] = await down(hub, "a")
    clock.advance(30)
    await d.run_once()
    clock.advance(10)
    await hub.ingest.ingest([Signal("api_down", "test", labels={"service": "api", "instance": "a"})])
    [b] = await down(hub, "b")
    clock.advance(300)
    assert await d.run_once() == 1
    counts = {s.id: s.count for s in (await outbox(hub))[-1].payload.alerts}
    assert counts == {a: 2, b: 1}, "not the count the first message showed"


async def test_the_trace_says_queued_only_for_messages_that_were_news_about_the_alert(
    hub: Hub, clock: FakeClock
) -> None:
    d = dispatcher(hub)
    [a] = await down(hub, "a")
    clock.advance(30)
    await d.run_once()
    [b] = await down(hub, "b")
    clock.advance(300)
    await d.run_once()
    queued_a = [line for line in await trace(hub, a) if line.startswith("pipeline:enqueue")]
    queued_b = [line for line in await trace(hub, b) if line.startswith("pipeline:enqueue")]
    assert queued_a == ["pipeline:enqueue: first notification: queued for discord"], (
        "carried again in the second message, but nothing about it was new"
    )
    assert queued_b == ["pipeline:enqueue: new alerts added: queued for discord"]
    clock.advance(4 * 3600)
    assert await d.run_once() == 1
    repeated = [line for line in await trace(hub, a) if line.startswith("pipeline:enqueue")]
    assert repeated[-1] == "pipeline:enqueue: repeat interval elapsed: queued for discord", "a repeat is news"


async def test_the_repeat_counts_from_the_last_message_even_for_alerts_it_only_carried(
    hub: Hub, clock: FakeClock
) -> None:
    d = dispatcher(hub)
    await down(hub, "a")
    clock.advance(30)
    await d.run_once()  # t=30: first message
    clock.advance(3600)
    await down(hub, "b")
    clock.advance(30)
    assert await d.run_once() == 1  # t=3660: a carried again, b new
    clock.advance(30 + 4 * 3600 - 3660)
    assert await d.run_once() == 0, "four hours after the first message, but not after the last"
    clock.advance(3660 - 30)
    assert await d.run_once() == 1
    assert (await outbox(hub))[-1].reason == "repeat interval elapsed"
