"""What is derived from an object is made once per object (and key), never handed to another object."""

from __future__ import annotations

from alerthub.domain.by_identity import ByIdentity


class Thing:
    def __init__(self, name: str) -> None:
        self.name = name


def test_made_once_per_object_and_key() -> None:
    made: list[str] = []
    memo: ByIdentity[Thing, str] = ByIdentity(10)

    def make(t: Thing) -> str:
        made.append(t.name)
        return t.name.upper()

    a, b = Thing("a"), Thing("a")  # equal names, two objects
    assert [memo.get(a, make), memo.get(a, make), memo.get(b, make), memo.get(a, make, "other")] == ["A"] * 4
    assert made == ["a", "a", "a"]


def test_past_its_capacity_the_oldest_go_and_are_made_again() -> None:
    made: list[str] = []
    memo: ByIdentity[Thing, str] = ByIdentity(2)
    things = [Thing(str(i)) for i in range(3)]
    for t in things:
        memo.get(t, lambda t: made.append(t.name) or t.name)
    assert len(memo) == 2
    memo.get(things[0], lambda t: made.append(t.name) or t.name)
    memo.get(things[2], lambda t: made.append(t.name) or t.name)
    assert made == ["0", "1", "2", "0"]


def test_a_new_object_at_a_freed_address_is_not_given_the_old_ones_value() -> None:
    """Objects made and dropped one after another land at the same address; the memo holds each one it
    keeps, so no later object can share its id while its value is kept."""
    memo: ByIdentity[Thing, str] = ByIdentity(100)
    assert [memo.get(Thing(f"n{i}"), lambda t: t.name) for i in range(50)] == [f"n{i}" for i in range(50)]
