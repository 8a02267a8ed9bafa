"""Group commit: concurrent requests share one transaction, each is answered only after it, and one
request's failure stays its own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alerthub.domain.alert import AlertChange
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.hub import Hub
from alerthub.store.group_commit import GroupCommit
from alerthub.store.tables import alert
from support.counting import counting


class Recorder:
    """A commit function that holds its first batch until released, so the next callers queue up."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.committed: list[str] = []

    async def commit(self, works: list[str]) -> list[str]:
        self.batches.append(list(works))
        if len(self.batches) == 1:
            await self.release.wait()
        if "bad" in works:
            raise ValueError("bad work")
        self.committed.extend(works)
        return [w.upper() for w in works]


async def _queued(group: GroupCommit[str, str], works: list[str]) -> list[asyncio.Task[str]]:
    tasks = [asyncio.create_task(group.submit(w, 1)) for w in works]
    for _ in range(5):
        await asyncio.sleep(0)
    return tasks


async def test_callers_arriving_during_a_commit_share_the_next_one() -> None:
    rec = Recorder()
    group: GroupCommit[str, str] = GroupCommit(rec.commit, max_size=100)
    tasks = await _queued(group, ["a"]) + await _queued(group, ["b", "c", "d"])
    assert rec.batches == [["a"]]
    assert not any(t.done() for t in tasks), "nobody is answered before their commit"
    rec.release.set()
    assert await asyncio.gather(*tasks) == ["A", "B", "C", "D"]
    assert rec.batches == [["a"], ["b", "c", "d"]]


async def test_a_batch_never_exceeds_max_size() -> None:
    rec = Recorder()
    group: GroupCommit[str, str] = GroupCommit(rec.commit, max_size=2)
    tasks = await _queued(group, ["a"]) + await _queued(group, ["b", "c", "d", "e"])
    rec.release.set()
    await asyncio.gather(*tasks)
    assert rec.batches == [["a"], ["b", "c"], ["d", "e"]]


async def test_one_failing_caller_fails_alone() -> None:
    rec = Recorder()
    group: GroupCommit[str, str] = GroupCommit(rec.commit, max_size=100)
    tasks = await _queued(group, ["a"]) + await _queued(group, ["b", "bad", "c"])
    rec.release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[:2] == ["A", "B"] and results[3] == "C"
    assert isinstance(results[2], ValueError)
    assert sorted(rec.committed) == ["a", "b", "c"]


async def test_a_cancelled_leader_still_commits_for_the_others() -> None:
    rec = Recorder()
    group: GroupCommit[str, str] = GroupCommit(rec.commit, max_size=100)
    [leader] = await _queued(group, ["a"])
    followers = await _queued(group, ["b", "c"])
    leader.cancel()
    rec.release.set()
    assert await asyncio.gather(*followers) == ["B", "C"]
    assert rec.committed[0] == "a", "the leader's own work was committed even though it went away"


def _signal(n: int) -> Signal:
    return Signal(
        rule_name="Load",
        source="alertmanager",
        labels={"alertname": "Load", "instance": f"i{n}"},
        status=SignalStatus.FIRING,
    )


async def test_concurrent_ingests_take_fewer_commits_and_each_gets_its_alert(hub: Hub) -> None:
    with counting(hub.db) as counts:
        answers = await asyncio.gather(*(hub.ingest.ingest([_signal(n)], known_rules_only=False) for n in range(20)))
    assert counts.commits < 20
    ids = [a.alert_id for [a] in answers]
    assert len(set(ids)) == 20 and all(i is not None for i in ids)
    async with hub.db.read() as conn:
        stored = (await conn.execute(select(func.count()).select_from(alert))).scalar_one()
    assert stored == 20


async def test_a_request_failing_inside_a_shared_transaction_fails_alone(hub: Hub) -> None:
    async def refuse_poison(_conn: AsyncConnection, changes: Sequence[AlertChange], _now: datetime) -> None:
        if any(c.after.labels.get("instance") == "poison" for c in changes):
            raise RuntimeError("the pipeline refused this alert")

    hub.hooks.in_transaction.append(refuse_poison)
    poison = Signal(rule_name="Load", source="alertmanager", labels={"alertname": "Load", "instance": "poison"})
    calls = [hub.ingest.ingest([_signal(n)], known_rules_only=False) for n in range(5)]
    calls.insert(2, hub.ingest.ingest([poison], known_rules_only=False))
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[2], RuntimeError)
    assert all(isinstance(r, list) for i, r in enumerate(results) if i != 2)
    async with hub.db.read() as conn:
        instances = sorted((await conn.execute(select(alert.c.labels["instance"].as_string()))).scalars())
    assert instances == [f"i{n}" for n in range(5)], "no partial write of the refused request"


@pytest.mark.parametrize("n", [1, 3])
async def test_the_same_alert_twice_in_one_batch_counts_twice(hub: Hub, n: int) -> None:
    await asyncio.gather(*(hub.ingest.ingest([_signal(0)], known_rules_only=False) for _ in range(n)))
    async with hub.db.read() as conn:
        count = (await conn.execute(select(alert.c.count))).scalar_one()
    assert count == n


async def test_with_two_slots_a_second_batch_commits_while_the_first_is_in_flight() -> None:
    rec = Recorder()
    group: GroupCommit[str, str] = GroupCommit(rec.commit, max_size=100, concurrency=2)
    first = await _queued(group, ["a"])
    rest = await _queued(group, ["b", "c"])
    assert rec.batches == [["a"], ["b", "c"]], "the second batch did not wait for the first"
    assert await asyncio.gather(*rest) == ["B", "C"]
    assert not first[0].done()
    rec.release.set()
    assert await first[0] == "A"
