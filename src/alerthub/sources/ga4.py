"""Google Analytics 4, polled with Google's own client (`google-analytics-data`, REST transport).

Each run makes three reports, four with `events`:
1. realtime: active users and page views in the last 30 minutes (the current traffic, as an hourly rate);
2. baseline: page views and active users by date and hour over the last `baseline_weeks` weeks, from
   which the same hour of the same weekday is averaged, in the property's own time zone (the report
   says which), so Friday 14:00 is compared with earlier Fridays at 14:00 and the hub needs no
   warm-up weeks;
3. error pages: page views in the current and previous hour whose title or path matches
   `error_page_pattern` (GA4 records no HTTP status; an error page's title is what it has);
4. events: the count of each event named in `events` (a site's own `page_not_found`, say) in the
   last 30 minutes, from the realtime report, which knows `eventName`.

The client is synchronous over REST (the async client is gRPC only), so calls run in a thread. What
the answers mean is sources/ga4_signals.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

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

from alerthub.domain.clock import Clock
from alerthub.domain.signal import Signal
from alerthub.errors import SourceError
from alerthub.sources import ga4_signals as ga4
from alerthub.sources.ga4_settings import GA4Config

SCOPES = ["https://www.googleapis.com/auth/analytics.readonly"]
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
        now = self.clock().astimezone(ga4.zone(history.metadata.time_zone))
        errors = await self._call(lambda c: c.run_report(request=self._errors(now), timeout=self.timeout))
        events = None
        if self.config.events:
            events = await self._call(lambda c: c.run_realtime_report(request=self._events(), timeout=self.timeout))
        active_users, views = ga4.totals(realtime)
        reference = now - timedelta(minutes=ga4.REALTIME_MINUTES / 2)
        weeks, floor = self.config.baseline_weeks, self.config.min_volume
        labels = {"property": str(self.config.property_id)}
        usual_views = ga4.Usual(views * 60 / ga4.REALTIME_MINUTES, ga4.baseline(history, reference, weeks), reference)
        usual_users = ga4.baseline(history, reference, weeks, ga4.ACTIVE_USERS)
        return [
            *ga4.page_view_signals(labels, usual_views, active_users, floor),
            *ga4.active_user_signals(labels, active_users, usual_users, reference, floor),
            ga4.error_page_signal(labels, errors),
            *ga4.event_signals(labels, self.config.events, events),
        ]

    def _realtime(self) -> RunRealtimeReportRequest:
        return RunRealtimeReportRequest(
            property=self.property,
            metrics=[Metric(name="activeUsers"), Metric(name="screenPageViews")],
            minute_ranges=[MinuteRange(start_minutes_ago=ga4.REALTIME_MINUTES - 1, end_minutes_ago=0)],
        )

    def _events(self) -> RunRealtimeReportRequest:
        named = Filter(field_name="eventName", in_list_filter=Filter.InListFilter(values=self.config.events))
        return RunRealtimeReportRequest(
            property=self.property,
            dimensions=[Dimension(name="eventName")],
            metrics=[Metric(name="eventCount")],
            dimension_filter=FilterExpression(filter=named),
            minute_ranges=[MinuteRange(start_minutes_ago=ga4.REALTIME_MINUTES - 1, end_minutes_ago=0)],
        )

    def _history(self) -> RunReportRequest:
        days = 7 * self.config.baseline_weeks
        return RunReportRequest(
            property=self.property,
            dimensions=[Dimension(name="date"), Dimension(name="hour")],
            metrics=[Metric(name="screenPageViews"), Metric(name="activeUsers")],
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


def _api_error(exc: google_errors.GoogleAPICallError) -> SourceError:
    code = exc.code or 0
    if code == 429 or code >= 500:
        return SourceError(f"ga4: {code} {exc.message}", retryable=True)
    if code in (401, 403):
        return SourceError(f"ga4: access refused ({code}): {exc.message}", retryable=False)
    return SourceError(f"ga4: request refused ({code}): {exc.message}", retryable=False)
