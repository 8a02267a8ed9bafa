"""The one small channel contract and the HTTP helpers every HTTP channel shares."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar, Literal, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, SecretStr

from alerthub.channels.message import RenderedMessage
from alerthub.errors import DeliveryError

ThreadStyle = Literal["none", "edit", "reply"]


@dataclass(frozen=True, slots=True)
class SendResult:
    """`external_id` is the provider's id of what was sent (Discord message id, email Message-ID);
    `wait` is how long the service says its budget is spent for (its rate-limit headers), so the
    next send waits instead of earning a 429."""

    external_id: str | None = None
    wait: float | None = None


class Channel(Protocol):
    """Sends one rendered message to one service.

    Raises `DeliveryError(retryable, status, retry_after)` on failure; never sleeps, retries or
    touches the database. `threads` says what an update does: `edit` the first message in place
    (Discord), `reply` to it (email, Telegram), or `none` (a new message each time).
    """

    kind: ClassVar[str]
    threads: ClassVar[ThreadStyle]
    name: str

    def describe(self) -> dict[str, str]: ...

    async def send(self, message: RenderedMessage, http: httpx.AsyncClient) -> SendResult: ...


@runtime_checkable
class Editable(Protocol):
    """A channel that can edit or reply to the message it sent first (`external_id`)."""

    async def update(self, message: RenderedMessage, external_id: str, http: httpx.AsyncClient) -> SendResult: ...


def classify_http(response: httpx.Response) -> None:
    """Alertmanager's retrier rule: 2xx succeeds; 408, 429 and 5xx are worth another try with the
    server's Retry-After; every other 4xx is permanent, because sending it again cannot help."""
    status = response.status_code
    if 200 <= status < 300:
        return
    retryable = status in (408, 429) or status >= 500
    detail = _error_text(response)
    raise DeliveryError(
        f"HTTP {status}: {detail}" if detail else f"HTTP {status}",
        retryable=retryable,
        status=status,
        retry_after=retry_after(response) if retryable else None,
    )


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait before trying again. The JSON body is preferred: Discord's `retry_after`
    (float seconds) and Telegram's `parameters.retry_after` are more precise than the header."""
    body = _json(response)
    if isinstance(body, dict):
        for candidate in (body.get("retry_after"), (body.get("parameters") or {}).get("retry_after")):
            if isinstance(candidate, int | float) and not isinstance(candidate, bool) and candidate >= 0:
                return float(candidate)
    header = response.headers.get("Retry-After")
    if header is None:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    date = response.headers.get("Date")
    base = parsedate_to_datetime(date) if date else datetime.now(UTC)
    return max(0.0, (when - base).total_seconds())


async def request(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    seconds: float,
    json_body: object | None = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """One HTTP call; a network failure or timeout is retryable, since nothing may have arrived."""
    try:
        response = await http.request(
            method, url, json=json_body, content=content, headers=headers, params=params, timeout=seconds
        )
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"timed out after {seconds:g}s: {type(exc).__name__}", retryable=True) from exc
    except httpx.LocalProtocolError as exc:  # our request cannot be sent as it is (a header with a line break)
        raise DeliveryError(f"request refused before sending: {exc}", retryable=False) from exc
    except httpx.TransportError as exc:
        raise DeliveryError(f"cannot connect: {type(exc).__name__}: {exc}", retryable=True) from exc
    classify_http(response)
    return response


def budget_wait(response: httpx.Response) -> float | None:
    """Discord's `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset-After` on a success: the bucket
    is empty for that long."""
    if response.headers.get("X-RateLimit-Remaining") != "0":
        return None
    try:
        return max(0.0, float(response.headers.get("X-RateLimit-Reset-After", "")))
    except ValueError:
        return None


def redact_url(url: str) -> str:
    """Keep scheme, host and the first path segment; webhook URLs carry their secret in the path."""
    parsed = httpx.URL(url)
    first = parsed.path.strip("/").split("/")[0] if parsed.path.strip("/") else ""
    shown = f"{parsed.scheme}://{parsed.host}{f':{parsed.port}' if parsed.port else ''}"
    return f"{shown}/{first}/***" if first else f"{shown}/***"


def scrub(text: str, config: BaseModel) -> str:
    """No secret of a channel's config leaves in an error text (a URL with its token, a password)."""
    for value in vars(config).values():
        for secret in value if isinstance(value, list) else [value]:
            if isinstance(secret, SecretStr) and secret.get_secret_value():
                text = text.replace(secret.get_secret_value(), "***")
    return text


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _json(response: httpx.Response) -> object:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    body = _json(response)
    if isinstance(body, dict):
        for key in ("message", "description", "error"):
            if isinstance(body.get(key), str):
                return truncate(str(body[key]), 300)
    return truncate(response.text.strip(), 300)
