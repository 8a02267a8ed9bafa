"""Reading the waits that APIs ask for: Retry-After (seconds or HTTP date) and epoch reset headers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from alerthub.errors import SourceError
from alerthub.sources.http_api import get_json, retry_after_seconds, seconds_until_epoch
from support.fake_apis import FakeAPI
from support.standins import Reply, Request

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


NGINX_502 = """<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.24.0</center>
</body>
</html>
"""


class _ErrorPage(FakeAPI):
    """A service behind a proxy that answers with an error page instead of JSON."""

    def __init__(self, status: int, text: str, content_type: str) -> None:
        super().__init__()
        self.reply = Reply(status, text=text, headers={"Content-Type": content_type})

    def answer(self, request: Request) -> Reply:
        return self.reply


async def _failure(status: int, body: str, content_type: str) -> SourceError:
    api = _ErrorPage(status, body, content_type).start()
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            with pytest.raises(SourceError) as caught:
                await get_json(http, f"{api.url}/v1/x", service="example", now=NOW)
    finally:
        api.stop()
    return caught.value


async def test_an_html_error_page_is_reported_by_its_title_not_its_markup() -> None:
    error = await _failure(502, NGINX_502, "text/html")
    assert str(error) == "example: server error (502): an HTML page: 502 Bad Gateway"
    assert error.retryable


async def test_an_html_page_without_a_title_says_so_briefly() -> None:
    error = await _failure(403, "<html><body>" + "<div>denied</div>" * 500 + "</body></html>", "text/html")
    assert str(error) == "example: credentials rejected (403): an HTML page (Forbidden)"


async def test_plain_text_errors_keep_their_first_words_on_one_line() -> None:
    error = await _failure(503, "upstream\n  unavailable\n" + "x" * 1000, "text/plain")
    assert str(error).startswith("example: server error (503): upstream unavailable xxx")
    assert len(str(error)) < 340


async def test_a_408_is_worth_another_try_as_in_delivery() -> None:
    # RFC 9110: the server stopped waiting for our request; the same GET may well work next time.
    error = await _failure(408, "Request Timeout", "text/plain")
    assert error.retryable
    assert str(error) == "example: timed out waiting for the request (408): Request Timeout"


async def test_a_503_carries_the_wait_its_retry_after_asks_for() -> None:
    api = _ErrorPage(503, "maintenance", "text/plain")
    api.reply = Reply(503, text="maintenance", headers={"Content-Type": "text/plain", "Retry-After": "120"})
    api.start()
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            with pytest.raises(SourceError) as caught:
                await get_json(http, f"{api.url}/v1/x", service="example", now=NOW)
    finally:
        api.stop()
    assert caught.value.retryable and caught.value.retry_after == 120.0
