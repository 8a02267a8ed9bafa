"""The one small channel contract, the base of every channel type's config model, and the HTTP helpers
every HTTP channel shares."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar, Literal, NamedTuple, Protocol, runtime_checkable
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from alerthub.channels.http import HttpAnswer, HttpClient
from alerthub.channels.message import MessageStyle, RenderedMessage
from alerthub.channels.redact import scrub as _scrub
from alerthub.channels.redact import secret_parts
from alerthub.config.models import ChannelEntry
from alerthub.domain.http_failures import LONGEST_WAIT, http_date, retry_after_seconds, retryable, succeeded
from alerthub.errors import DeliveryError, HttpRequestRefused, HttpTimeout, HttpUnreachable

ThreadStyle = Literal["none", "edit", "reply"]
# How a channel reaches a person an escalation pages: `mention` them in one message (Discord, Slack),
# send each their own (`direct`: their mail, chat, URLs), or carry only their names (`none`).
PageStyle = Literal["mention", "direct", "none"]
Hide = Callable[[str], str]

QUOTED = 300  # characters of a remote's own error text kept: enough to say what is wrong


@dataclass(frozen=True, slots=True)
class SendResult:
    """`external_id` is the provider's id of what was sent (Discord message id, email Message-ID);
    `wait` is how long the service says its budget is spent for (its rate-limit headers), so the
    next send waits instead of earning a 429."""

    external_id: str | None = None
    wait: float | None = None


class ChannelSettings(ChannelEntry):
    """A channel type's config model: the keys every type shares (ChannelEntry) and its own; any other
    key is an error. Subclasses narrow `type` to their own name."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Pace(NamedTuple):
    """A channel type's default budget, from the service's published limits: `rate` sends a second
    sustained, `burst` at once. An entry's `rate_per_second` and `burst` override it."""

    rate: float
    burst: int


class Channel(Protocol):
    """Sends one rendered message to one service.

    Raises `DeliveryError(retryable, status, retry_after)` on failure; never sleeps, retries or
    touches the database. `threads` says what an update does: `edit` the first message in place
    (Discord), `reply` to it (email, Telegram), or `none` (a new message each time).

    What delivery needs to know of a type is said here too: `config_model` (its config keys), `style`
    (how its messages are written), `pace` (its default budget) and `in_flight` (sends at once; 1 when
    the service's answers carry its remaining budget or a thread id, which must be read before the
    next send), and `pages_by` (how a page reaches a person: `message.recipients` holds their addresses
    on this type, looked up from `people[]`).
    """

    kind: ClassVar[str]
    config_model: ClassVar[type[ChannelSettings]]
    threads: ClassVar[ThreadStyle]
    style: ClassVar[MessageStyle]
    pace: ClassVar[Pace]
    in_flight: ClassVar[int]
    pages_by: ClassVar[PageStyle]
    name: str

    @property
    def config(self) -> ChannelSettings: ...

    def describe(self) -> dict[str, str]: ...

    async def send(self, message: RenderedMessage, http: HttpClient) -> SendResult: ...


@runtime_checkable
class Editable(Protocol):
    """A channel that can edit or reply to the message it sent first (`external_id`)."""

    async def update(self, message: RenderedMessage, external_id: str, http: HttpClient) -> SendResult: ...


@runtime_checkable
class RepliesToThreads(Protocol):
    """A channel whose one message can answer several threads at once (a mail's In-Reply-To names
    several): a digest goes there as a reply in each thread it carries, not as a stranger."""

    async def reply_to_threads(
        self, message: RenderedMessage, external_ids: Sequence[str], http: HttpClient
    ) -> SendResult: ...


def classify_http(response: HttpAnswer, hide: Hide | None = None) -> None:
    """2xx succeeds; a retryable status (domain/http_failures.py) is worth another try with the
    server's Retry-After; any other is permanent, because sending it again cannot help.
    `hide` takes the channel's secrets out of the remote's text before it is cut to size."""
    status = response.status_code
    if succeeded(status):
        return
    retry = retryable(status)
    detail = _error_text(response, hide or _same)
    raise DeliveryError(
        f"HTTP {status}: {detail}" if detail else f"HTTP {status}",
        retryable=retry,
        status=status,
        retry_after=retry_after(response) if retry else None,
    )


def retry_after(response: HttpAnswer) -> float | None:
    """Seconds to wait before trying again. The JSON body is preferred: Discord's `retry_after`
    (float seconds) and Telegram's `parameters.retry_after` are more precise than the header. A
    Retry-After date counts from the answer's own `Date`, so our clock's skew does not matter."""
    body = _json(response)
    if isinstance(body, dict):
        for candidate in (body.get("retry_after"), (body.get("parameters") or {}).get("retry_after")):
            if isinstance(candidate, int | float) and not isinstance(candidate, bool) and candidate >= 0:
                return min(float(candidate), LONGEST_WAIT)
    base = http_date(response.headers.get("Date")) or datetime.now(UTC)
    return retry_after_seconds(response.headers.get("Retry-After"), base)


async def request(
    http: HttpClient,
    method: str,
    url: str,
    *,
    seconds: float,
    json_body: object | None = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    hide: Hide | None = None,
) -> HttpAnswer:
    """One HTTP call; a network failure or timeout is retryable, since nothing may have arrived.
    Every error text goes through `hide` (the channel's secrets) before it is raised."""
    hide = hide or _same
    try:
        response = await http.request(
            method, url, json=json_body, content=content, headers=headers, params=params, timeout=seconds
        )
    except HttpTimeout as exc:
        raise DeliveryError(f"timed out after {seconds:g}s: {exc.kind}", retryable=True) from exc
    except HttpRequestRefused as exc:  # our request cannot be sent as it is (a header with a line break)
        raise DeliveryError(f"request refused before sending: {_quote(str(exc), hide)}", retryable=False) from exc
    except HttpUnreachable as exc:
        raise DeliveryError(f"cannot connect: {exc.kind}: {_quote(str(exc), hide)}", retryable=True) from exc
    classify_http(response, hide)
    return response


def budget_wait(response: HttpAnswer) -> float | None:
    """Discord's `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset-After` on a success: the bucket
    is empty for that long."""
    if response.headers.get("X-RateLimit-Remaining") != "0":
        return None
    try:
        return max(0.0, float(response.headers.get("X-RateLimit-Reset-After", "")))
    except ValueError:
        return None


def redact_url(url: str) -> str:
    """Keep scheme, host and the first path segment; webhook URLs carry their secret in the path.
    A first segment that is itself a secret part (`https://x/<token>`) is not kept either."""
    parsed = urlsplit(url)
    first = parsed.path.strip("/").split("/")[0] if parsed.path.strip("/") else ""
    first = "" if first in secret_parts(url) else first
    shown = f"{parsed.scheme}://{parsed.hostname or ''}{f':{parsed.port}' if parsed.port else ''}"
    return f"{shown}/{first}/***" if first else f"{shown}/***"


def scrub(text: str, config: BaseModel) -> str:
    """No secret of a channel's config leaves in an error text (a URL with its token, a password),
    in whole, in part or in any spelling a remote quotes it in (channels/redact.py)."""
    return _scrub(text, config)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _json(response: HttpAnswer) -> object:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _error_text(response: HttpAnswer, hide: Hide) -> str:
    body = _json(response)
    if isinstance(body, dict):
        for key in ("message", "description", "error"):
            if isinstance(body.get(key), str):
                return _quote(": ".join([str(body[key]), *_listed(body.get("errors"))]), hide)
    return _quote(response.text, hide)


def _listed(errors: object) -> list[str]:
    """A list of error strings beside the message (PagerDuty's `errors`) says what the message only
    names: "Event object is invalid" alone does not tell which field."""
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        return []
    return ["; ".join(errors)] if errors else []


def _quote(text: str, hide: Hide) -> str:
    """A remote's text, secrets out first: cutting first could leave half a token that no longer
    matches. What is hidden is bounded, so a megabyte error page costs no more than its start."""
    return truncate(" ".join(hide(text[: QUOTED * 20]).split()), QUOTED)


def _same(text: str) -> str:
    return text
