"""Values derived from frozen objects, kept by the object's identity.

A growing group's every message carries the same unchanged alert snapshots (the pipeline hands over the
same object while an alert is unchanged), so what is derived from one — its JSON dict for the outbox, its
view for a channel — is derived once. Each entry holds its object, so that the object's id cannot be
reused by another while the entry lives; past `capacity` the oldest go first.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
V = TypeVar("V")


class ByIdentity(Generic[T, V]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._kept: dict[tuple[Hashable, ...], tuple[T, V]] = {}

    def get(self, obj: T, make: Callable[[T], V], *key: Hashable) -> V:
        """`make(obj)`, made once for this object (and `key`, what else the value depends on)."""
        at = (id(obj), *key)
        seen = self._kept.get(at)
        if seen is not None and seen[0] is obj:
            return seen[1]
        value = make(obj)
        self._kept[at] = (obj, value)
        if len(self._kept) > self.capacity:
            del self._kept[next(iter(self._kept))]
        return value

    def __len__(self) -> int:
        return len(self._kept)
