"""Which claimed rows go out together: pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime

from alerthub.delivery.waves import next_wave
from alerthub.domain.notification import Notification, NotificationStatus

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def note(row_id: int, group: str, thread: str | None = None) -> Notification:
    return Notification(
        row_id, f"k{row_id}", group, "default", "hook", "firing", NotificationStatus.SENDING, {}, 1, NOW, NOW,
        thread_key=thread,
    )  # fmt: skip


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
