"""Reading the waits that APIs ask for: Retry-After (seconds or HTTP date) and epoch reset headers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from alerthub.sources.http_api import retry_after_seconds, seconds_until_epoch

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("Fri, 27 Nov 2026 09:05:00 GMT", 300.0),
        ("Fri, 27 Nov 2026 08:00:00 GMT", 0.0),  # already past: no wait, never negative
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after(value: str, seconds: float | None) -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": value}), NOW) == seconds


def test_epoch_reset_headers() -> None:
    assert seconds_until_epoch(str(int(NOW.timestamp()) + 42), NOW) == 42.0
    assert seconds_until_epoch(str(int(NOW.timestamp()) - 5), NOW) == 0.0
    assert seconds_until_epoch("tomorrow", NOW) is None
    assert seconds_until_epoch(None, NOW) is None
