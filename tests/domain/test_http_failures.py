"""One reading of an HTTP answer's status and Retry-After, for delivery and the pollers alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerthub.domain.http_failures import LONGEST_WAIT, http_date, retry_after_seconds, retryable, succeeded

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(408, True), (429, True), (500, True), (502, True), (503, True), (599, True),
     (301, False), (400, False), (401, False), (403, False), (404, False), (409, False), (410, False),
     (413, False), (422, False)],
)  # fmt: skip
def test_408_429_and_5xx_are_retryable_every_other_failure_is_permanent(status: int, expected: bool) -> None:
    assert retryable(status) is expected
    assert not succeeded(status)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_succeeds(status: int) -> None:
    assert succeeded(status)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),  # not RFC 9110's digits only, but some services send fractions
        ("0", 0.0),
        ("Fri, 27 Nov 2026 09:05:00 GMT", 300.0),
        ("Fri, 27 Nov 2026 09:05:00 -0000", 300.0),  # no zone: GMT, as every HTTP-date
        ("Fri, 27 Nov 2026 08:00:00 GMT", 0.0),  # already past: no wait, never negative
        ("-5", None),
        ("inf", None),
        ("nan", None),
        ("soon", None),
        ("Fri, 99 Nov 2026 09:05:00 GMT", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_a_huge_retry_after_is_capped_so_the_moment_it_names_can_be_computed() -> None:
    wait = retry_after_seconds("9" * 40, NOW)
    assert wait == LONGEST_WAIT
    assert NOW + timedelta(seconds=wait) > NOW + timedelta(days=300)


def test_http_date_reads_zoned_and_unzoned_dates_as_utc() -> None:
    assert http_date("Fri, 27 Nov 2026 09:00:00 GMT") == NOW
    assert http_date("Fri, 27 Nov 2026 10:00:00 +0100") == NOW
    assert http_date("Fri, 27 Nov 2026 09:00:00 -0000") == NOW
    assert http_date("yesterday") is None and http_date(None) is None
