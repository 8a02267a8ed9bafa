"""What an HTTP answer's status says about trying again, and how long its `Retry-After` asks us to
wait. Delivery's channels and the pollers' API client both read answers through these, so a service
is judged alike whichever way we talk to it. Plain functions of the status and header text; no I/O."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Longer than any delivery max_age or poll interval; keeps `now + wait` inside datetime's range
# whatever number a server sends.
LONGEST_WAIT = 365 * 86400.0
_SECONDS = re.compile(r"\d+(\.\d+)?")


def succeeded(status: int) -> bool:
    return 200 <= status < 300


def retryable(status: int) -> bool:
    """408 (the server stopped waiting for our request), 429 (too many requests) and every 5xx say the
    same request may succeed later (RFC 9110 §15.5.9 and §15.6, RFC 6585 §4); any other failure is
    permanent, because sending the same request again cannot help."""
    return status in (408, 429) or status >= 500


def http_date(value: str | None) -> datetime | None:
    """An HTTP-date (`Date`, `Retry-After`) as an aware datetime; a date without a zone is GMT, as
    every HTTP-date is. None when absent or unreadable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` (RFC 9110 §10.2.3), delay-seconds or an HTTP-date, as seconds from `now`: never
    negative (a date already past means "now") nor longer than a year; None when absent or unreadable.
    Fractions of a second are accepted, as some services send them."""
    if not value:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return min(float(text), LONGEST_WAIT)
    when = http_date(text)
    if when is None:
        return None
    return min(max(0.0, (when - now).total_seconds()), LONGEST_WAIT)
