"""Per-channel token buckets. Pure: every call takes `now`.

Defaults follow each service's published limits: Discord allows 5 requests per 2 s per webhook
and, undocumented, about 30 messages a minute per channel (so: bursts of 5, 0.5/s sustained);
Slack's incoming webhooks 1 per second with short bursts; Telegram about 1 per second per chat
and 20 a minute in a group; SMTP servers (Gmail: ~500 a day) deserve modesty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# type -> (tokens per second, burst)
DEFAULTS: dict[str, tuple[float, int]] = {
    "discord": (0.5, 5),
    "slack": (1.0, 3),
    "telegram": (1 / 3, 3),
    "email": (0.2, 5),
    "webhook": (5.0, 10),
    "apprise": (1.0, 5),
}


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
    default_rate, default_burst = DEFAULTS.get(kind, (1.0, 5))
    return TokenBucket.full(rate or default_rate, burst or default_burst, now)
