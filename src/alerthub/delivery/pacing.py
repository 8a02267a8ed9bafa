"""Per-channel token buckets. Pure: every call takes `now`. Each channel type's default budget is its
own (`pace` on its class, from the service's published limits); an entry may set its own."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerthub.channels.base import Pace
from alerthub.channels.registry import CHANNEL_TYPES

UNKNOWN = Pace(1.0, 5)  # a type no channel class is registered for


class _Paces(Mapping[str, Pace]):
    """Each registered channel type's default budget, read from its class."""

    def __getitem__(self, kind: str) -> Pace:
        return CHANNEL_TYPES[kind].pace

    def __iter__(self) -> Iterator[str]:
        return iter(CHANNEL_TYPES)

    def __len__(self) -> int:
        return len(CHANNEL_TYPES)


DEFAULTS: Mapping[str, Pace] = _Paces()


@dataclass
class TokenBucket:
    rate: float
    burst: int
    tokens: float
    updated: datetime
    paused_until: datetime | None = None

    @classmethod
    def full(cls, rate: float, burst: int, now: datetime) -> TokenBucket:
        return cls(rate=rate, burst=burst, tokens=float(burst), updated=now)

    def available(self, now: datetime) -> int:
        """Whole sends allowed right now."""
        if self.paused_until is not None and now < self.paused_until:
            return 0
        self._refill(now)
        return int(self.tokens + 1e-9)

    def take(self, now: datetime, n: int = 1) -> bool:
        if self.available(now) < n:
            return False
        self.tokens -= n
        return True

    def pause(self, until: datetime) -> None:
        """The service said 429: nothing goes out before `until`; exactly then one send may go
        (the service asked for that moment), and the bucket refills from there, so no burst follows."""
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until
        self.tokens = 1.0
        self.updated = max(self.updated, self.paused_until)

    def next_token_at(self, now: datetime) -> datetime:
        if self.paused_until is not None and now < self.paused_until:
            return self.paused_until
        self._refill(now)
        if self.tokens >= 1:
            return now
        return now + timedelta(seconds=(1 - self.tokens) / self.rate)

    def _refill(self, now: datetime) -> None:
        if now <= self.updated:
            return
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated).total_seconds() * self.rate)
        self.updated = now


def bucket_for(kind: str, rate: float | None, burst: int | None, now: datetime) -> TokenBucket:
    default_rate, default_burst = DEFAULTS.get(kind, UNKNOWN)
    return TokenBucket.full(rate or default_rate, burst or default_burst, now)
