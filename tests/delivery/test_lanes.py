"""A lane's rules with a stand-in gate (no database, no network): how many sends at once, which row
may start, and what happens when an attempt or a record fails."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from alerthub.delivery.lanes import Gate, Lane, next_wave
from alerthub.delivery.outcome import Outcome, Sent
from alerthub.domain.notification import Notification, NotificationStatus

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def note(row_id: int, group: str, thread: str | None = None) -> Notification:
    return Notification(
        row_id, f"k{row_id}", group, "default", "hook", "firing", NotificationStatus.SENDING, {}, 1, NOW, NOW,
        thread_key=thread,
    )  # fmt: skip


class Stand:
    """Attempts wait until the test answers them; records are kept as batches."""

    def __init__(self, *, tokens: int = 100, broken: frozenset[int] = frozenset()) -> None:
        self.tokens = tokens
        self.broken = broken
        self.pending: dict[int, asyncio.Future[None]] = {}
        self.batches: list[list[int | None]] = []
        self.released: list[int | None] = []
        self.errors = 0
        self.gate = Gate(self.covers, self.take, self.attempt, self.record, self.release, self.error, asyncio.Event())

    def covers(self, row: Notification) -> bool:
        return True

    def take(self) -> bool:
        self.tokens -= 1
        return self.tokens >= 0

    async def attempt(self, row: Notification) -> Outcome:
        assert row.id is not None
        self.pending[row.id] = asyncio.get_running_loop().create_future()
        await self.pending[row.id]
        if row.id in self.broken:
            raise RuntimeError("a bug")
        return Sent(row, NOW, None)

    async def record(self, outcomes: Sequence[Outcome]) -> bool:
        self.batches.append([o.row.id for o in outcomes])
        return True

    async def release(self, rows: Sequence[Notification]) -> None:
        self.released += [r.id for r in rows]

    def error(self) -> None:
        self.errors += 1

    async def answer(self, *ids: int) -> None:
        for i in ids:
            self.pending.pop(i).set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)


async def test_at_most_width_at_once_and_the_next_starts_when_one_ends() -> None:
    stand, lane = Stand(), Lane("hook", 2)
    lane.add([note(i, f"g{i}") for i in range(1, 5)], stand.gate)
    await asyncio.sleep(0)
    assert sorted(stand.pending) == [1, 2]
    await stand.answer(1)
    assert sorted(stand.pending) == [2, 3]
    await stand.answer(2, 3)
    await stand.answer(4)
    await lane.settled()
    assert sorted(i for batch in stand.batches for i in batch if i is not None) == [1, 2, 3, 4]


async def test_outcomes_that_finish_together_are_recorded_together() -> None:
    stand, lane = Stand(), Lane("hook", 4)
    lane.add([note(i, f"g{i}") for i in range(1, 4)], stand.gate)
    await asyncio.sleep(0)
    await stand.answer(1, 2, 3)
    await lane.settled()
    assert stand.batches == [[1, 2, 3]]


async def test_a_follow_up_waits_until_its_first_message_is_recorded() -> None:
    stand, lane = Stand(), Lane("hook", 4)
    lane.add([note(1, "g"), note(2, "other"), note(3, "g")], stand.gate)
    await asyncio.sleep(0)
    assert sorted(stand.pending) == [1, 2]
    await stand.answer(1)
    assert [1] in stand.batches and sorted(stand.pending) == [2, 3]
    await stand.answer(2, 3)
    await lane.settled()


async def test_rows_added_while_others_are_in_flight_start_at_once() -> None:
    stand, lane = Stand(), Lane("hook", 4)
    lane.add([note(1, "a")], stand.gate)
    await asyncio.sleep(0)
    lane.add([note(2, "b")], stand.gate)
    await asyncio.sleep(0)
    assert sorted(stand.pending) == [1, 2]
    await stand.answer(1, 2)
    await lane.settled()


async def test_a_spent_budget_gives_the_rest_back() -> None:
    stand, lane = Stand(tokens=1), Lane("hook", 4)
    lane.add([note(1, "a"), note(2, "b"), note(3, "c")], stand.gate)
    await asyncio.sleep(0)
    assert sorted(stand.pending) == [1] and stand.released == [2, 3]
    await stand.answer(1)
    await lane.settled()


async def test_an_attempt_that_raises_frees_its_conversation() -> None:
    stand, lane = Stand(broken=frozenset({1})), Lane("hook", 1)
    lane.add([note(1, "g"), note(2, "g")], stand.gate)
    await asyncio.sleep(0)
    await stand.answer(1)
    assert stand.errors == 1 and sorted(stand.pending) == [2]
    await stand.answer(2)
    await lane.settled()
    assert stand.batches == [[2]]


# Which rows start together (pure).


def ids(rows: list[Notification]) -> list[int | None]:
    return [r.id for r in rows]


def test_a_wave_is_at_most_its_width_in_claim_order() -> None:
    wave, later = next_wave([note(i, f"g{i}") for i in range(5)], 3)
    assert ids(wave) == [0, 1, 2] and ids(later) == [3, 4]


def test_one_row_per_conversation_per_wave_and_order_kept_within_it() -> None:
    rows = [note(1, "a", "t:a"), note(2, "b"), note(3, "a", "t:a"), note(4, "c"), note(5, "a", "t:a")]
    wave, later = next_wave(rows, 8)
    assert ids(wave) == [1, 2, 4] and ids(later) == [3, 5]
    wave, later = next_wave(later, 8)
    assert ids(wave) == [3] and ids(later) == [5]


def test_a_row_behind_a_deferred_row_of_its_group_waits_too() -> None:
    # Row 3 is deferred only because the wave is full; row 4 of the same group must not pass it.
    rows = [note(1, "a"), note(2, "b"), note(3, "c"), note(4, "c")]
    wave, later = next_wave(rows, 2)
    assert ids(wave) == [1, 2] and ids(later) == [3, 4]
    assert ids(next_wave(later, 2)[0]) == [3]


def test_a_conversation_still_in_flight_keeps_its_next_row_back() -> None:
    rows = [note(1, "a"), note(2, "b"), note(3, "c", "t:c")]
    wave, later = next_wave(rows, 8, busy={"a", "t:c"})
    assert ids(wave) == [2] and ids(later) == [1, 3]
