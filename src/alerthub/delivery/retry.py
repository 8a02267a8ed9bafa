"""When to try a failed notification again, if at all. Pure: the clock and the randomness come in.

Exponential backoff with jitter (so a hundred notifications failing together do not retry
together), except when the service said when: a `Retry-After` or Discord's `retry_after` is
honoured exactly, because arriving early only earns another 429 and counts towards an IP ban."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerthub.config.models import DeliveryConfig
from alerthub.errors import DeliveryError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    max_age: timedelta
    initial_backoff: timedelta
    max_backoff: timedelta

    @classmethod
    def from_config(cls, config: DeliveryConfig) -> RetryPolicy:
        return cls(config.max_attempts, config.max_age, config.initial_backoff, config.max_backoff)


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """`retry_at` None means give up; `reason` says why, for the delivery log."""

    retry_at: datetime | None
    reason: str


def backoff(policy: RetryPolicy, attempt: int, rand: Callable[[], float] = random.random) -> timedelta:
    """Attempt 1 failed -> about initial_backoff; doubling up to max_backoff; "equal jitter" keeps
    at least half of the delay so retries never collapse to zero."""
    base = min(policy.max_backoff, policy.initial_backoff * (1 << min(30, max(0, attempt - 1))))
    return base / 2 + base / 2 * rand()


def decide(
    policy: RetryPolicy,
    error: DeliveryError,
    *,
    attempt: int,
    created_at: datetime,
    now: datetime,
    rand: Callable[[], float] = random.random,
) -> RetryDecision:
    if not error.retryable:
        return RetryDecision(None, "permanent")
    if attempt >= policy.max_attempts:
        return RetryDecision(None, "attempts_exhausted")
    # The service's own word on when to come back beats our guess, to the millisecond.
    exact = error.retry_after is not None
    delay = timedelta(seconds=error.retry_after or 0) if exact else backoff(policy, attempt, rand)
    retry_at = now + delay
    if retry_at - created_at > policy.max_age:
        return RetryDecision(None, "too_old")
    return RetryDecision(retry_at, "rate_limited" if error.status == 429 else "retryable")
