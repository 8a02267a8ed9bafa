from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerthub.channels.registry import CHANNEL_TYPES
from alerthub.delivery.pacing import DEFAULTS, TokenBucket, bucket_for

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_discord_default_is_a_burst_of_5_then_30_a_minute() -> None:
    bucket = bucket_for("discord", None, None, T0)
    assert [bucket.take(T0) for _ in range(6)] == [True] * 5 + [False]
    sent = sum(bucket.take(at(s)) for s in range(1, 61))
    assert sent == 30


def test_configured_rate_and_burst_win() -> None:
    bucket = bucket_for("discord", 10.0, 2, T0)
    assert bucket.available(T0) == 2
    assert bucket.available(at(60)) == 2  # never above the burst


def test_a_pause_allows_nothing_until_then_exactly_one() -> None:
    bucket = TokenBucket.full(0.5, 5, T0)
    bucket.pause(at(3))
    assert bucket.available(at(2.999)) == 0
    assert bucket.next_token_at(at(1)) == at(3)
    assert bucket.take(at(3))
    assert not bucket.take(at(3))
    assert bucket.next_token_at(at(3)) == at(5)


def test_every_channel_type_has_a_default() -> None:
    # Every registered type, whichever they are: a new channel type's default is its own class's pace.
    assert set(DEFAULTS) == set(CHANNEL_TYPES) >= {"discord", "slack", "telegram", "email", "webhook", "apprise"}
    assert all(pace.rate > 0 and pace.burst >= 1 for pace in DEFAULTS.values())
    assert DEFAULTS["slack"][0] == 1.0  # Slack: one per second
