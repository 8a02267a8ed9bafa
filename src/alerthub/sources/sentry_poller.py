"""Sentry's REST API, polled: errors and slow transactions per project over the last hour.

Counts come from the `count()` aggregate of `/organizations/{org}/events/` (the seed took `len()` of
one capped page), grouped by `field=project`, following `Link: rel="next"; results="true"`.
Slow transactions use the spans dataset (`is_transaction:true span.duration:>2000`, in ms), as
Sentry itself does since transactions moved there. 429 waits for `X-Sentry-Rate-Limit-Reset`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx

from alerthub.domain.clock import Clock
from alerthub.domain.signal import Signal
from alerthub.domain.summaries import say
from alerthub.errors import SourceError
from alerthub.sources.contracts import PullSource
from alerthub.sources.http_api import get_json, seconds_until_epoch
from alerthub.sources.sentry import SETTINGS, SentryConfig

STATS_PERIOD = "1h"
SLOW_MS = 2000
SLOW_QUERY = f"is_transaction:true span.duration:>{SLOW_MS}"
MAX_PAGES = 50
# Its own rule: an hour's count of every error is not one issue's count, which the webhook judges.
ERROR_RULE = "sentry_error_rate_hourly"


class SentryPoller:
    name = "sentry"
    kind = "sentry"

    def __init__(self, config: SentryConfig, http: httpx.AsyncClient, clock: Clock) -> None:
        if config.api_token is None or not config.org:
            raise ValueError("the Sentry poller needs integrations.sentry.api_token and org")
        self.config = config
        self.org = config.org
        self.token = config.api_token.get_secret_value()
        self.http = http
        self.clock = clock
        self.base = config.base_url.rstrip("/")

    async def poll(self) -> list[Signal]:
        errors = await self._counts("errors", None)
        slow = await self._counts("spans", SLOW_QUERY)
        return [self._errors(p, n) for p, n in sorted(errors.items())] + [
            self._slow(p, n) for p, n in sorted(slow.items())
        ]

    async def _counts(self, dataset: str, query: str | None) -> dict[str, float]:
        """Count per project. Configured projects are asked one by one (an org without the
        global-views feature refuses several projects in one query) and report 0 when quiet."""
        params: dict[str, str | list[str]] = {
            "dataset": dataset,
            "field": ["project", "count()"],
            "sort": "-count()",
            "statsPeriod": STATS_PERIOD,
            "per_page": "100",
        }
        if query:
            params["query"] = query
        if not self.config.projects:
            counts: dict[str, float] = {}
            async for project, count in self._rows(params):
                counts[project] = counts.get(project, 0.0) + count
            return counts
        per_project: dict[str, float] = {}
        for project in self.config.projects:
            # Sentry takes numeric ids as `project` and slugs as `projectSlug`.
            selector = {"project": project} if project.isdigit() else {"projectSlug": project}
            per_project[project] = sum([c async for _, c in self._rows({**params, **selector})])
        return per_project

    async def _rows(self, params: dict[str, str | list[str]]) -> AsyncIterator[tuple[str, float]]:
        url: str | None = f"{self.base}/api/0/organizations/{self.org}/events/"
        query: dict[str, str | list[str]] | None = params
        for _ in range(MAX_PAGES):
            if url is None:
                return
            body, response = await self._get(url, query)
            for row in _data(body):
                yield _row(row)
            url, query = _next_page(response), None
        raise SourceError(f"sentry: more than {MAX_PAGES} pages of results", retryable=False)

    async def _get(self, url: str, query: dict[str, str | list[str]] | None) -> tuple[Any, httpx.Response]:
        try:
            return await get_json(
                self.http,
                url,
                service="sentry",
                now=self.clock(),
                params=query,
                headers={"Authorization": f"Bearer {self.token}"},
                reset=_reset,
            )
        except SourceError as exc:
            if "multiple projects" not in str(exc):
                raise
            hint = "; list them in integrations.sentry.projects (this organisation queries one project at a time)"
            raise SourceError(f"{exc}{hint}", retryable=False) from exc

    def _errors(self, project: str, count: float) -> Signal:
        return Signal(
            rule_name=ERROR_RULE,
            source="sentry",
            value=count,
            labels={"project": project},
            annotations={
                "summary": say("sentry_errors", count=f"{count:g}", project=project),
                "url": f"{self.base}/organizations/{self.org}/issues/",
            },
        )

    def _slow(self, project: str, count: float) -> Signal:
        return Signal(
            rule_name="sentry_performance_issue",
            source="sentry",
            value=count,
            labels={"project": project},
            annotations={
                "summary": say("sentry_slow", count=f"{count:g}", seconds=f"{SLOW_MS / 1000:g}", project=project),
                "url": f"{self.base}/organizations/{self.org}/performance/",
            },
        )


def _reset(headers: httpx.Headers, now: datetime) -> float | None:
    return seconds_until_epoch(headers.get("x-sentry-rate-limit-reset"), now)


def _data(body: Any) -> Iterator[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise SourceError("sentry: events answer has no `data` list", retryable=False)
    yield from body["data"]


def _row(row: Any) -> tuple[str, float]:
    count = row.get("count()") if isinstance(row, dict) else None
    if isinstance(count, bool) or not isinstance(count, int | float):
        raise SourceError(f"sentry: events row without a numeric count(): {str(row)[:200]}", retryable=False)
    return str(row.get("project") or "unknown"), float(count)


def _next_page(response: httpx.Response) -> str | None:
    """Sentry always sends both rels; only `results="true"` means there is another page."""
    link = response.links.get("next")
    if link and link.get("results") == "true" and link.get("url"):
        return link["url"]
    return None


class SentryPull(PullSource[SentryConfig]):
    settings = SETTINGS
    kind = "sentry"

    def enabled(self, settings: SentryConfig) -> bool:
        return settings.api_token is not None and bool(settings.org)

    def interval(self, settings: SentryConfig) -> timedelta:
        return settings.poll_interval

    def poller(self, settings: SentryConfig, http: httpx.AsyncClient, clock: Clock, timeout: timedelta) -> SentryPoller:
        return SentryPoller(settings, http, clock)


PULL = SentryPull()
