"""Google Analytics 4, polled with Google's own client (`google-analytics-data`, REST transport).

Each run makes three reports:
1. realtime: active users and page views in the last 30 minutes (the current traffic, as an hourly rate);
2. baseline: page views by date and hour over the last `baseline_weeks` weeks, from which the same
   hour of the same weekday is averaged, in the property's own time zone (the report says which), so
   Friday 14:00 is compared with earlier Fridays at 14:00 and the hub needs no warm-up weeks;
3. error pages: page views in the current and previous hour whose title or path matches
   `error_page_pattern` (GA4 records no HTTP status; an error page's title is what it has).

The client is synchronous over REST (the async client is gRPC only), so calls run in a thread.
`min_volume` keeps a quiet night from paging: a spike needs that many views per hour now, a drop
needs a baseline that large; otherwise the ratio is reported as 1 (normal).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Filter,
    FilterExpression,
    FilterExpressionList,
    Metric,
    MinuteRange,
    RunRealtimeReportRequest,
    RunReportRequest,
)
from google.api_core import exceptions as google_errors
from google.auth import exceptions as auth_errors

from alerthub.config.models import GA4Config
from alerthub.domain.clock import Clock
from alerthub.domain.signal import Signal
from alerthub.errors import SourceError

SCOPES = ["https://www.googleapis.com/auth/analytics.readonly"]
REALTIME_MINUTES = 30
REGEX = Filter.StringFilter.MatchType.PARTIAL_REGEXP


class GA4Poller:
    name = "ga4"
    kind = "ga4"

    def __init__(self, config: GA4Config, clock: Clock, *, credentials: Any = None, timeout: float = 60.0) -> None:
        if not config.property_id:
            raise ValueError("the GA4 poller needs integrations.ga4.property_id")
        self.config = config
        self.property = f"properties/{config.property_id}"
        self.clock = clock
        self.timeout = timeout
        self._credentials = credentials
        self._client: Any = None

    async def poll(self) -> list[Signal]:
        realtime = await self._call(lambda c: c.run_realtime_report(request=self._realtime(), timeout=self.timeout))
        history = await self._call(lambda c: c.run_report(request=self._history(), timeout=self.timeout))
        zone = _zone(history.metadata.time_zone)
        now = self.clock().astimezone(zone)
        errors = await self._call(lambda c: c.run_report(request=self._errors(now), timeout=self.timeout))
        active_users, views = _totals(realtime)
        reference = now - timedelta(minutes=REALTIME_MINUTES / 2)
        baseline = _baseline(history, reference, self.config.baseline_weeks)
        traffic = Traffic(views * 60 / REALTIME_MINUTES, baseline, active_users, reference)
        return [*self._traffic_signals(traffic), self._error_signal(errors)]

    def _realtime(self) -> RunRealtimeReportRequest:
        return RunRealtimeReportRequest(
            property=self.property,
            metrics=[Metric(name="activeUsers"), Metric(name="screenPageViews")],
            minute_ranges=[MinuteRange(start_minutes_ago=REALTIME_MINUTES - 1, end_minutes_ago=0)],
        )

    def _history(self) -> RunReportRequest:
        days = 7 * self.config.baseline_weeks
        return RunReportRequest(
            property=self.property,
            dimensions=[Dimension(name="date"), Dimension(name="hour")],
            metrics=[Metric(name="screenPageViews")],
            date_ranges=[DateRange(start_date=f"{days}daysAgo", end_date="yesterday")],
            limit=days * 24,
        )

    def _errors(self, now: datetime) -> RunReportRequest:
        hours = [f"{t:%Y%m%d%H}" for t in (now, now - timedelta(hours=1))]
        pattern = self.config.error_page_pattern

        def matches(field: str) -> FilterExpression:
            regex = Filter.StringFilter(match_type=REGEX, value=pattern, case_sensitive=False)
            return FilterExpression(filter=Filter(field_name=field, string_filter=regex))

        in_window = FilterExpression(
            filter=Filter(field_name="dateHour", in_list_filter=Filter.InListFilter(values=hours))
        )
        is_error = FilterExpression(
            or_group=FilterExpressionList(expressions=[matches("pageTitle"), matches("pagePath")])
        )
        return RunReportRequest(
            property=self.property,
            dimensions=[Dimension(name="dateHour"), Dimension(name="pagePath"), Dimension(name="pageTitle")],
            metrics=[Metric(name="screenPageViews")],
            date_ranges=[DateRange(start_date="yesterday", end_date="today")],
            dimension_filter=FilterExpression(and_group=FilterExpressionList(expressions=[in_window, is_error])),
            limit=1000,
        )

    def _traffic_signals(self, traffic: Traffic) -> list[Signal]:
        labels = {"property": str(self.config.property_id)}
        floor = self.config.min_volume
        usual = "no history" if traffic.baseline is None else f"{traffic.baseline:.0f}"
        annotations = {
            "summary": f"{traffic.rate:.0f} page views/hour now; usual for {traffic.reference:%A %H}:00 is {usual}",
            "active_users": f"{traffic.active_users:.0f}",
        }
        spike = traffic.ratio if traffic.rate >= floor else None
        drop = traffic.ratio if traffic.baseline is not None and traffic.baseline >= floor else None
        return [
            Signal("ga4_traffic_spike", "ga4", _judged(spike), labels, annotations),
            Signal("ga4_traffic_drop", "ga4", _judged(drop), labels, annotations),
        ]

    def _error_signal(self, report: Any) -> Signal:
        pages: dict[str, float] = {}
        for row in report.rows:
            path, title = row.dimension_values[1].value, row.dimension_values[2].value
            key = f"{path} ({title})"
            pages[key] = pages.get(key, 0.0) + _number(row.metric_values[0].value)
        total = sum(pages.values())
        top = sorted(pages.items(), key=lambda kv: -kv[1])[:5]
        return Signal(
            "ga4_error_pages",
            "ga4",
            total,
            {"property": str(self.config.property_id)},
            {
                "summary": f"{total:.0f} views of error pages in the last hour or two",
                "description": "; ".join(f"{page}: {views:.0f}" for page, views in top),
            },
        )

    async def _call(self, request: Callable[[Any], Any]) -> Any:
        try:
            return await asyncio.to_thread(lambda: request(self._connected()))
        except google_errors.GoogleAPICallError as exc:
            raise _api_error(exc) from exc
        except auth_errors.GoogleAuthError as exc:
            raise SourceError(f"ga4: credentials: {exc}", retryable=False) from exc
        except OSError as exc:  # requests' ConnectionError and Timeout are OSErrors
            raise SourceError(f"ga4: cannot reach the Data API: {exc}", retryable=True) from exc

    def _connected(self) -> Any:
        """Built on first use, in the worker thread: finding default credentials may do I/O."""
        if self._client is None:
            options = {"api_endpoint": self.config.api_endpoint} if self.config.api_endpoint else None
            self._client = BetaAnalyticsDataClient(
                transport="rest", client_options=options, credentials=self._credentials or self._file_credentials()
            )
        return self._client

    def _file_credentials(self) -> Any:
        if not self.config.credentials_file:
            return None  # Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS
        from google.oauth2 import service_account

        load: Callable[..., Any] = service_account.Credentials.from_service_account_file
        try:
            return load(self.config.credentials_file, scopes=SCOPES)
        except (OSError, ValueError) as exc:
            raise SourceError(f"ga4: credentials file {self.config.credentials_file}: {exc}", retryable=False) from exc


@dataclass(frozen=True, slots=True)
class Traffic:
    rate: float  # page views per hour now (realtime)
    baseline: float | None  # usual page views in this hour of this weekday
    active_users: float
    reference: datetime

    @property
    def ratio(self) -> float | None:
        if self.baseline is None:
            return None
        return round(self.rate / max(self.baseline, 1.0), 3)


def _judged(ratio: float | None) -> float:
    """Not enough volume or history to judge reads as normal (1.0), which also resolves an open alert."""
    return 1.0 if ratio is None else ratio


def _totals(report: Any) -> tuple[float, float]:
    """Realtime totals; a report with no data has no `rows` at all."""
    users = sum(_number(row.metric_values[0].value) for row in report.rows)
    views = sum(_number(row.metric_values[1].value) for row in report.rows)
    return users, views


def _baseline(report: Any, reference: datetime, weeks: int) -> float | None:
    """Mean page views at `reference`'s hour on the same weekday of earlier weeks. Weeks before the
    property's first data do not count as zero (a new property is not a traffic drop)."""
    views: dict[tuple[str, int], float] = {}
    for row in report.rows:
        day, hour = row.dimension_values[0].value, row.dimension_values[1].value
        if not hour.isdigit():
            continue  # "(other)" when a report is thresholded
        key = (day, int(hour))
        views[key] = views.get(key, 0.0) + _number(row.metric_values[0].value)
    if not views:
        return None
    first_day = min(day for day, _ in views)
    days = [f"{reference - timedelta(weeks=k):%Y%m%d}" for k in range(1, weeks + 1)]
    known = [day for day in days if day >= first_day]
    if not known:
        return None
    return sum(views.get((day, reference.hour), 0.0) for day in known) / len(known)


def _number(text: str) -> float:
    """Metric values are strings in the Data API ("17")."""
    try:
        return float(text)
    except ValueError:
        return 0.0


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _api_error(exc: google_errors.GoogleAPICallError) -> SourceError:
    code = exc.code or 0
    if code == 429 or code >= 500:
        return SourceError(f"ga4: {code} {exc.message}", retryable=True)
    if code in (401, 403):
        return SourceError(f"ga4: access refused ({code}): {exc.message}", retryable=False)
    return SourceError(f"ga4: request refused ({code}): {exc.message}", retryable=False)
