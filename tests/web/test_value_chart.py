"""The alert page's value over time: which readings it draws, where, against which thresholds, and what
the page a browser receives holds (an inline SVG, no script needed to see it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from alerthub.config.models import Config, RuleConfig
from alerthub.domain.alert import AlertEvent, EventKind
from alerthub.domain.severity import Severity
from alerthub.web import value_chart
from alerthub.web.value_chart import MAX_POINTS, PLOT_HEIGHT, TOP
from support.clock import FakeClock

T0 = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)
LIMITS = [("critical", 95.0), ("warning", 80.0)]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_nothing_to_draw_without_a_value() -> None:
    assert value_chart.build([], LIMITS) is None
    assert value_chart.build([(at(0), None), (at(1), None)], LIMITS) is None


def test_one_value_is_a_dot_in_the_middle_with_its_time_under_it() -> None:
    chart = value_chart.build([(at(0), 90.0), (at(1), None)], LIMITS)
    assert chart is not None
    [point] = chart.points
    assert (point.value, point.x_percent) == (90.0, 50.0)
    assert chart.dots == [point]
    assert [(tick.x_percent, tick.anchor, tick.utc_text) for tick in chart.times] == [(50.0, "middle", "02:00:00 UTC")]


def test_readings_run_left_to_right_in_time_and_up_with_the_value() -> None:
    chart = value_chart.build([(at(10), 70.0), (at(0), 60.0), (at(40), 99.0)], LIMITS)
    assert chart is not None
    assert [p.value for p in chart.points] == [60.0, 70.0, 99.0], "in time order, whatever order they came in"
    first, second, last = chart.points
    assert first.x < second.x < last.x
    assert abs((second.x - first.x) * 4 - (last.x - first.x)) < 1e-9, "x is proportional to time"
    assert first.y > second.y > last.y, "a higher value is drawn higher (smaller y)"
    assert all(TOP <= p.y <= TOP + PLOT_HEIGHT for p in chart.points)
    assert len(chart.polyline.split(" ")) == 3


def test_thresholds_are_lines_inside_the_plot_at_their_values() -> None:
    chart = value_chart.build([(at(0), 10.0), (at(5), 20.0)], LIMITS)
    assert chart is not None
    lines = {line.name: line for line in chart.thresholds}
    assert set(lines) == {"critical", "warning"}
    assert lines["critical"].y < lines["warning"].y < chart.points[-1].y, "both limits drawn above the values"
    assert all(TOP <= line.y <= TOP + PLOT_HEIGHT for line in chart.thresholds), "the range takes them in"
    grid = [g.value for g in chart.grid]
    assert grid[0] == 0 and grid[-1] >= 95, "round bounds around values and limits, from zero for counts"


def test_all_values_equal_draw_a_flat_line_inside_a_range_that_is_not() -> None:
    chart = value_chart.build([(at(m), 42.0) for m in range(5)], [])
    assert chart is not None
    assert len({p.y for p in chart.points}) == 1
    assert TOP < chart.points[0].y < TOP + PLOT_HEIGHT
    assert chart.grid[0].value < 42 < chart.grid[-1].value
    zeros = value_chart.build([(at(0), 0.0), (at(1), 0.0)], [])
    assert zeros is not None and zeros.grid[0].value == 0 < zeros.grid[-1].value


def test_negative_values_are_not_cut_off_at_zero() -> None:
    chart = value_chart.build([(at(0), -5.0), (at(1), 3.0)], [])
    assert chart is not None
    assert chart.grid[0].value <= -5 and chart.grid[-1].value >= 3


def test_a_long_history_is_thinned_to_at_most_200_points_keeping_its_spikes() -> None:
    readings: list[tuple[datetime, float | None]] = [(at(m), 50.0 + (m % 7)) for m in range(20_000)]
    readings[12_345] = (at(12_345), 999.0)  # one short spike
    readings[777] = (at(777), -3.0)  # and one dip
    readings[5] = (at(5), None)
    chart = value_chart.build(readings, LIMITS)
    assert chart is not None
    assert chart.readings == 19_999
    assert len(chart.points) <= MAX_POINTS and len(chart.polyline.split(" ")) == len(chart.points)
    values = [p.value for p in chart.points]
    assert 999.0 in values and -3.0 in values
    assert [p.at for p in chart.points] == sorted(p.at for p in chart.points)
    assert chart.dots == [], "too many readings to mark each"
    assert value_chart.thin([(at(m), float(m)) for m in range(MAX_POINTS)], MAX_POINTS) == [
        (at(m), float(m)) for m in range(MAX_POINTS)
    ], "up to the limit nothing goes"


def test_the_time_labels_span_the_readings_and_name_the_day_past_a_day() -> None:
    burst = value_chart.build([(at(0), 1.0), (at(0.5), 2.0)], [])
    assert burst is not None
    assert [t.utc_text for t in burst.times] == ["02:00:00 UTC", "02:00:15 UTC", "02:00:30 UTC"], "seconds"
    short = value_chart.build([(at(0), 1.0), (at(90), 2.0)], [])
    assert short is not None
    assert [(t.anchor, t.utc_text) for t in short.times] == [
        ("start", "02:00 UTC"),
        ("middle", "02:45 UTC"),
        ("end", "03:30 UTC"),
    ]
    long = value_chart.build([(at(0), 1.0), (at(60 * 30), 2.0)], [])
    assert long is not None
    assert [t.utc_text for t in long.times] == ["12-09 02:00 UTC", "12-09 17:00 UTC", "12-10 08:00 UTC"]


def test_the_latest_value_joins_the_history_when_it_came_later() -> None:
    events = [
        AlertEvent(EventKind.TRANSITION, at(0), "signal:api", 1, value=85.0),
        AlertEvent(EventKind.DELIVERY, at(1), "channel:ops", 1),
        AlertEvent(EventKind.SEVERITY, at(2), "signal:api", 1, value=97.0),
    ]
    assert value_chart.readings_of(events, (at(9), 90.0)) == [(at(0), 85.0), (at(2), 97.0), (at(9), 90.0)]
    assert value_chart.readings_of(events, (at(2), 97.0)) == [(at(0), 85.0), (at(2), 97.0)], "no second copy"
    assert value_chart.readings_of(events, (at(9), None)) == [(at(0), 85.0), (at(2), 97.0)]


# ---- the page -----------------------------------------------------------------------------------

HTML = {"Accept": "text/html"}


@pytest.fixture
def config() -> Config:
    steps = {Severity.WARNING: 80, Severity.CRITICAL: 95}
    return Config(rules=[RuleConfig(name="disk_usage", thresholds=steps)])


async def send(client: httpx.AsyncClient, value: float, rule: str = "disk_usage") -> int:
    body = {"rule_name": rule, "metric_data": {"metric_value": value}, "labels": {"host": "db-1"}}
    answer = await client.post("/api/alerts/send", json=body)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["alert_id"])


def polyline_points(html: str) -> list[str]:
    [points] = re.findall(r'<polyline class="vchart-line" points="([^"]*)"', html)
    return points.split(" ")


async def test_the_alert_page_draws_its_values_against_its_thresholds(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    alert_id = await send(client, 85)  # opens at warning
    clock.advance(minutes=5)
    await send(client, 97)  # rises to critical
    clock.advance(minutes=5)
    await send(client, 90)  # back to warning
    clock.advance(minutes=5)
    await send(client, 88)  # no change of state or severity: no history, but the latest value
    html = (await client.get(f"/alerts/{alert_id}", headers=HTML)).text
    assert html.count('<svg class="vchart-svg"') == 1
    assert len(polyline_points(html)) == 4
    assert html.count('class="vchart-dot"') == 4
    assert 'class="vchart-threshold sev-critical"' in html and 'class="vchart-threshold sev-warning"' in html
    assert ">critical 95</text>" in html and ">warning 80</text>" in html
    times = re.findall(r'data-at="([^"]+)" data-unit="minute">([^<]+)</text>', html)
    assert times[0] == ("2026-11-27T09:00:00Z", "09:00 UTC") and times[-1] == ("2026-11-27T09:15:00Z", "09:15 UTC")
    # As wide as the card, whatever the screen: the plot stretches, the labels keep their size.
    assert re.search(r'<svg class="vchart-svg" width="100%"', html)
    assert re.search(
        r'<svg x="0" y="0" width="100%" height="[\d.]+" viewBox="0 0 1000(\.0)? [\d.]+" preserveAspectRatio="none">',
        html,
    )


async def test_an_alert_with_one_value_shows_a_dot_and_one_without_values_no_chart(
    client: httpx.AsyncClient,
) -> None:
    alert_id = await send(client, 85)
    answer = await client.post("/api/v2/alerts", json=[{"labels": {"alertname": "Down", "job": "api"}}])
    assert answer.status_code == 200
    [listed] = (await client.get("/api/alerts", params={"rule": "Down"})).json()["alerts"]
    html = (await client.get(f"/alerts/{alert_id}", headers=HTML)).text
    assert "vchart-svg" in html and "<polyline" not in html
    assert html.count('class="vchart-dot"') == 1
    html = (await client.get(f"/alerts/{listed['id']}", headers=HTML)).text
    assert "vchart" not in html


async def test_the_chart_speaks_korean_too(client: httpx.AsyncClient) -> None:
    alert_id = await send(client, 97)
    html = (await client.get(f"/alerts/{alert_id}", headers={**HTML, "Accept-Language": "ko"})).text
    assert 'aria-label="시간에 따른 값: 측정 1개"' in html
    assert ">심각 95</text>" in html and "시간에 따른 값: 측정 1개</figcaption>" in html
