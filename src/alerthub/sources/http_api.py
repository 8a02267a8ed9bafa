"""One GET against a JSON REST API, with its failures classified the way a poller needs them.

2xx is the answer; 408, 429, 5xx (domain/http_failures.py) and network trouble are retryable (with
the wait the API asked for); 401/403 and other 4xx are not, and carry the API's own message so a
broken key is obvious.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from alerthub.domain.http_failures import retry_after_seconds as parse_retry_after
from alerthub.domain.http_failures import retryable
from alerthub.errors import SourceError

# Reads a service's own rate-limit headers: seconds to wait, or None.
ResetReader = Callable[[httpx.Headers, datetime], float | None]


async def get_json(
    http: httpx.AsyncClient,
    url: str,
    *,
    service: str,
    now: datetime,
    params: Mapping[str, str | list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    reset: ResetReader | None = None,
) -> tuple[Any, httpx.Response]:
    try:
        response = await http.get(url, params=params, headers=headers)
    except httpx.TimeoutException as exc:
        raise SourceError(f"{service}: no answer in time ({type(exc).__name__})", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"{service}: cannot reach {url}: {exc or type(exc).__name__}", retryable=True) from exc
    if response.status_code >= 300:
        raise _status_error(response, service, now, reset)
    try:
        return response.json(), response
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{service}: answer is not JSON ({response.status_code})", retryable=True) from exc


def _status_error(response: httpx.Response, service: str, now: datetime, reset: ResetReader | None) -> SourceError:
    status = response.status_code
    detail = _detail(response)
    if status in (401, 403):
        return SourceError(f"{service}: credentials rejected ({status}): {detail}", retryable=False)
    if not retryable(status):
        return SourceError(f"{service}: request refused ({status}): {detail}", retryable=False)
    asked = retry_after_seconds(response.headers, now)
    if status == 429:
        waits = [w for w in (asked, reset and reset(response.headers, now)) if w]
        wait = max(waits) if waits else None
        hint = f"; retry in {wait:.0f}s" if wait else ""
        return SourceError(f"{service}: rate limited (429): {detail}{hint}", retryable=True, retry_after=wait)
    what = "timed out waiting for the request" if status == 408 else "server error"
    return SourceError(f"{service}: {what} ({status}): {detail}", retryable=True, retry_after=asked)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return _text_detail(response)
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])[:300]
    return json.dumps(body)[:300]


def _text_detail(response: httpx.Response) -> str:
    """A proxy's or load balancer's error page says what it is in its title; the rest is markup that
    would fill the log and the monitor's status with hundreds of characters of HTML."""
    text = response.text
    if "html" in response.headers.get("content-type", "").lower() or text.lstrip()[:1] == "<":
        title = _TITLE.search(text)
        found = " ".join(html.unescape(title.group(1)).split()) if title else ""
        return f"an HTML page: {found[:200]}" if found else f"an HTML page ({response.reason_phrase})"
    return " ".join(text[:300].split()) or response.reason_phrase


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def retry_after_seconds(headers: httpx.Headers, now: datetime) -> float | None:
    return parse_retry_after(headers.get("retry-after"), now)


def seconds_until_epoch(value: str | None, now: datetime) -> float | None:
    """A reset header holding UNIX seconds, as seconds from `now` (None when absent or garbled)."""
    if not value:
        return None
    try:
        return max(float(value) - now.timestamp(), 0.0)
    except ValueError:
        return None
