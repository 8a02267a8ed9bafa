"""HetrixTools API v3, polled: uptime percentage and response time of every active uptime monitor.

`GET /v3/uptime-monitors?per_page=200&page=N` with Bearer auth, paginated by `meta.pagination`.
`uptime` arrives as a string ("99.9588"); there is no average response time, so it is the mean of
the per-location `locations.*.response_time`. A monitor in maintenance, paused or disabled is not
down: it is skipped (and whatever it had firing resolves). Rate limits come as
`ratelimit-{remaining,reset}-{user,endpoint}` headers and a 429 JSON body.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from alerthub.domain.clock import Clock
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.domain.summaries import say
from alerthub.errors import SourceError
from alerthub.sources.contracts import PullSource
from alerthub.sources.hetrixtools import SETTINGS, HetrixToolsConfig
from alerthub.sources.http_api import get_json, seconds_until_epoch

PER_PAGE = 200
MAX_PAGES = 100
NOT_WATCHED = frozenset({"maint", "maint_dnd", "paused", "disabled"})
_SCOPES = ("user", "endpoint")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Location(_Loose):
    uptime_status: str | None = None
    response_time: float | None = None


class _Monitor(_Loose):
    id: str
    name: str = ""
    target: str | None = None
    uptime_status: str | None = None
    monitor_status: str = "active"
    uptime: float | None = None
    locations: dict[str, _Location] = {}

    @field_validator("locations", mode="before")
    @classmethod
    def _keyed(cls, value: object) -> object:
        # The spec calls it an array; real answers key it by location slug. Accept both.
        if isinstance(value, list):
            return {str(i): v for i, v in enumerate(value)}
        return value or {}

    @field_validator("uptime", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value == "" else value


class _Pagination(_Loose):
    next: int | None = None


class _Meta(_Loose):
    pagination: _Pagination = _Pagination()


class _Page(_Loose):
    monitors: list[_Monitor]
    meta: _Meta = _Meta()


class HetrixToolsPoller:
    name = "hetrixtools"
    kind = "hetrixtools"

    def __init__(self, config: HetrixToolsConfig, http: httpx.AsyncClient, clock: Clock) -> None:
        if config.api_key is None:
            raise ValueError("the HetrixTools poller needs integrations.hetrixtools.api_key")
        self.key = config.api_key.get_secret_value()
        self.url = config.base_url.rstrip("/") + "/v3/uptime-monitors"
        self.http = http
        self.clock = clock

    async def poll(self) -> list[Signal]:
        signals: list[Signal] = []
        for monitor in await self._monitors():
            if monitor.monitor_status in NOT_WATCHED:
                continue
            signals.extend(_signals(monitor))
        return signals

    async def _monitors(self) -> list[_Monitor]:
        monitors: list[_Monitor] = []
        page: int | None = 1
        for _ in range(MAX_PAGES):
            if page is None:
                return monitors
            body, response = await get_json(
                self.http,
                self.url,
                service="hetrixtools",
                now=self.clock(),
                params={"per_page": str(PER_PAGE), "page": str(page)},
                headers={"Authorization": f"Bearer {self.key}"},
                reset=_reset,
            )
            parsed = _parse(body)
            monitors.extend(parsed.monitors)
            page = parsed.meta.pagination.next
            if page is not None:
                self._check_budget(response.headers, page)
        raise SourceError(f"hetrixtools: more than {MAX_PAGES} pages of monitors", retryable=False)

    def _check_budget(self, headers: httpx.Headers, page: int) -> None:
        """Stop before a request the API will refuse; half a list would resolve the other half."""
        for scope in _SCOPES:
            if headers.get(f"ratelimit-remaining-{scope}") == "0":
                wait = seconds_until_epoch(headers.get(f"ratelimit-reset-{scope}"), self.clock())
                raise SourceError(
                    f"hetrixtools: {scope} rate limit spent before page {page}", retryable=True, retry_after=wait
                )


def _parse(body: Any) -> _Page:
    try:
        return _Page.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SourceError(f"hetrixtools: unexpected answer at {where}: {first['msg']}", retryable=False) from exc


def _signals(monitor: _Monitor) -> list[Signal]:
    # Only `monitor_id` identifies the alert, so a renamed monitor keeps its alert; name and target
    # are shortened to what a label may hold rather than failing the whole run.
    labels = {"monitor_id": monitor.id, "service": (monitor.name or monitor.id)[:200]}
    if monitor.target:
        labels["url"] = monitor.target[:1000]
    annotations = {"uptime_status": monitor.uptime_status or "unknown"}
    signals: list[Signal] = []
    uptime = _uptime(monitor, labels, annotations)
    if uptime is not None:
        signals.append(uptime)
    times = [loc.response_time for loc in monitor.locations.values() if loc.response_time is not None]
    if times:
        mean = round(sum(times) / len(times), 1)
        per_location = ", ".join(f"{slug} {loc.response_time:g} ms" for slug, loc in sorted(monitor.locations.items()))
        signals.append(
            Signal(
                rule_name="hetrixtools_response_time",
                source="hetrixtools",
                value=mean,
                labels=labels,
                annotations={
                    **annotations,
                    "summary": say("response_time", name=monitor.name, ms=f"{mean:g}"),
                    "description": per_location,
                },
                identity=("monitor_id",),
            )
        )
    return signals


def _uptime(monitor: _Monitor, labels: dict[str, str], annotations: dict[str, str]) -> Signal | None:
    """The uptime percentage is a month's average and lags an outage by days: a monitor HetrixTools
    says is down fires critical now, whatever the percentage (as the seed's monitor does)."""
    down = monitor.uptime_status == "down"
    if monitor.uptime is None and not down:
        return None
    uptime = "unknown" if monitor.uptime is None else f"{monitor.uptime:g}%"
    return Signal(
        rule_name="hetrixtools_uptime",
        source="hetrixtools",
        value=monitor.uptime,
        labels=labels,
        annotations={**annotations, "summary": say("uptime", name=monitor.name, uptime=uptime)},
        status=SignalStatus.FIRING if down else None,
        severity=Severity.CRITICAL if down else None,
        identity=("monitor_id",),
    )


def _reset(headers: httpx.Headers, now: datetime) -> float | None:
    """The reset of the exhausted limit (user or endpoint); the later one if both or neither say so."""
    spent = [s for s in _SCOPES if headers.get(f"ratelimit-remaining-{s}") == "0"] or list(_SCOPES)
    waits = [w for s in spent if (w := seconds_until_epoch(headers.get(f"ratelimit-reset-{s}"), now)) is not None]
    return max(waits) if waits else None


class HetrixToolsPull(PullSource[HetrixToolsConfig]):
    settings = SETTINGS
    kind = "hetrixtools"

    def enabled(self, settings: HetrixToolsConfig) -> bool:
        return settings.api_key is not None

    def interval(self, settings: HetrixToolsConfig) -> timedelta:
        return settings.poll_interval

    def poller(
        self, settings: HetrixToolsConfig, http: httpx.AsyncClient, clock: Clock, timeout: timedelta
    ) -> HetrixToolsPoller:
        return HetrixToolsPoller(settings, http, clock)


PULL = HetrixToolsPull()
