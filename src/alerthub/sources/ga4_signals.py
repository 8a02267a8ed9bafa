"""GA4 report answers to signals: pure, so each judgement is read (and tested) apart from Google's client.

Page views and active users are each judged against the usual for this hour of this weekday
(`Usual.ratio`); error pages and the configured events are counted. `min_volume` keeps a quiet
night from paging: a spike needs that much now, a drop a usual that large; otherwise the ratio is
reported as 1 (normal), which also resolves an open alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerthub.domain.signal import Signal
from alerthub.domain.summaries import say

REALTIME_MINUTES = 30
PAGE_VIEWS, ACTIVE_USERS = 0, 1  # metric columns of the history report
EVENT_RULE = "ga4_event_count"


@dataclass(frozen=True, slots=True)
class Usual:
    """A figure now against the usual one, both per hour; `reference` is the moment they are about."""

    now: float
    usual: float | None
    reference: datetime

    @property
    def ratio(self) -> float | None:
        if self.usual is None:
            return None
        return round(self.now / max(self.usual, 1.0), 3)

    def judged(self, floor: int) -> tuple[float, float]:
        """(spike, drop) values: the ratio, or 1.0 where there is too little to judge."""
        ratio = self.ratio
        spike = ratio if ratio is not None and self.now >= floor else None
        drop = ratio if ratio is not None and self.usual is not None and self.usual >= floor else None
        return (1.0 if spike is None else spike), (1.0 if drop is None else drop)


def page_view_signals(labels: dict[str, str], views: Usual, active_users: float, floor: int) -> list[Signal]:
    annotations = {
        "summary": say("ga4_traffic", rate=f"{views.now:.0f}", usual=_usual(views), **_when(views)),
        "active_users": f"{active_users:.0f}",
    }
    spike, drop = views.judged(floor)
    return [
        Signal("ga4_traffic_spike", "ga4", spike, labels, annotations),
        Signal("ga4_traffic_drop", "ga4", drop, labels, annotations),
    ]


def active_user_signals(
    labels: dict[str, str], realtime_users: float, usual_hourly: float | None, at: datetime, floor: int
) -> list[Signal]:
    """Realtime counts users of the last 30 minutes; the history, users of whole hours. Half the hour's
    usual is the yardstick: a steady hour's users are at least half in either of its halves, so a
    normal half hour never reads as a drop (long visits make it read up to twice the usual)."""
    users = Usual(realtime_users, None if usual_hourly is None else usual_hourly / 2, at)
    annotations = {"summary": say("ga4_users", users=f"{realtime_users:.0f}", usual=_usual(users), **_when(users))}
    ratio = users.ratio
    # `min_volume` speaks of an hour; the realtime window is half of one.
    spike = ratio if ratio is not None and realtime_users * 2 >= floor else 1.0
    drop = ratio if ratio is not None and usual_hourly is not None and usual_hourly >= floor else 1.0
    return [
        Signal("ga4_active_users_spike", "ga4", spike, labels, annotations),
        Signal("ga4_active_users_drop", "ga4", drop, labels, annotations),
    ]


def error_page_signal(labels: dict[str, str], report: Any) -> Signal:
    pages: dict[str, float] = {}
    for row in report.rows:
        path, title = row.dimension_values[1].value, row.dimension_values[2].value
        key = f"{path} ({title})"
        pages[key] = pages.get(key, 0.0) + number(row.metric_values[0].value)
    total = sum(pages.values())
    top = sorted(pages.items(), key=lambda kv: -kv[1])[:5]
    return Signal(
        "ga4_error_pages",
        "ga4",
        total,
        labels,
        {
            "summary": say("ga4_error_pages", count=f"{total:.0f}"),
            "description": "; ".join(f"{page}: {views:.0f}" for page, views in top),
        },
    )


def event_signals(labels: dict[str, str], events: list[str], report: Any) -> list[Signal]:
    """One signal per configured event, 0 when it did not happen (so its alert resolves)."""
    counts = dict.fromkeys(events, 0.0)
    for row in report.rows if report is not None else ():
        name = row.dimension_values[0].value
        if name in counts:
            counts[name] += number(row.metric_values[0].value)
    return [
        Signal(
            EVENT_RULE,
            "ga4",
            count,
            {**labels, "event": name},
            {"summary": say("ga4_event", event=name, count=f"{count:.0f}")},
        )
        for name, count in counts.items()
    ]


def totals(report: Any) -> tuple[float, float]:
    """Realtime (active users, page views); a report with no data has no `rows` at all."""
    users = sum(number(row.metric_values[0].value) for row in report.rows)
    views = sum(number(row.metric_values[1].value) for row in report.rows)
    return users, views


def baseline(report: Any, reference: datetime, weeks: int, metric: int = PAGE_VIEWS) -> float | None:
    """Mean of `metric` at `reference`'s hour on the same weekday of earlier weeks. Weeks before the
    property's first data do not count as zero (a new property is not a traffic drop)."""
    values: dict[tuple[str, int], float] = {}
    for row in report.rows:
        day, hour = row.dimension_values[0].value, row.dimension_values[1].value
        if not hour.isdigit():
            continue  # "(other)" when a report is thresholded
        key = (day, int(hour))
        column = row.metric_values[metric].value if len(row.metric_values) > metric else "0"
        values[key] = values.get(key, 0.0) + number(column)
    if not values:
        return None
    first_day = min(day for day, _ in values)
    days = [f"{reference - timedelta(weeks=k):%Y%m%d}" for k in range(1, weeks + 1)]
    known = [day for day in days if day >= first_day]
    if not known:
        return None
    return sum(values.get((day, reference.hour), 0.0) for day in known) / len(known)


def number(text: str) -> float:
    """Metric values are strings in the Data API ("17")."""
    try:
        return float(text)
    except ValueError:
        return 0.0


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _usual(figure: Usual) -> str:
    return "no history" if figure.usual is None else f"{figure.usual:.0f}"


def _when(figure: Usual) -> dict[str, str]:
    return {"day": f"{figure.reference:%A}", "hour": f"{figure.reference:%H}"}
