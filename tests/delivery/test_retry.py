from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerthub.delivery.retry import RetryPolicy, backoff, decide
from alerthub.errors import DeliveryError

POLICY = RetryPolicy(
    max_attempts=5, max_age=timedelta(hours=1), initial_backoff=timedelta(seconds=2), max_backoff=timedelta(seconds=30)
)
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(POLICY, n, lambda: 1.0).total_seconds() for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]


def test_jitter_keeps_at_least_half_the_delay() -> None:
    assert backoff(POLICY, 3, lambda: 0.0) == timedelta(seconds=4)
    assert backoff(POLICY, 3, lambda: 0.5) == timedelta(seconds=6)


def test_retry_after_is_exact_and_unjittered() -> None:
    error = DeliveryError("429", retryable=True, status=429, retry_after=0.757)
    decision = decide(POLICY, error, attempt=1, created_at=NOW, now=NOW, rand=lambda: 0.9)
    assert decision.retry_at == NOW + timedelta(seconds=0.757) and decision.reason == "rate_limited"


def test_permanent_errors_are_not_retried() -> None:
    decision = decide(POLICY, DeliveryError("404", retryable=False, status=404), attempt=1, created_at=NOW, now=NOW)
    assert decision.retry_at is None and decision.reason == "permanent"


def test_attempts_run_out() -> None:
    decision = decide(POLICY, DeliveryError("500", retryable=True), attempt=5, created_at=NOW, now=NOW)
    assert decision.retry_at is None and decision.reason == "attempts_exhausted"


def test_too_old_to_retry() -> None:
    late = NOW + timedelta(minutes=59, seconds=59)
    decision = decide(POLICY, DeliveryError("500", retryable=True), attempt=2, created_at=NOW, now=late)
    assert decision.retry_at is None and decision.reason == "too_old"
