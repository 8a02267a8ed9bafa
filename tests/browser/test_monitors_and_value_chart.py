"""On a 390 px phone in a real Chromium, as the person on call at 3 a.m. checks what is still talking: the
Monitors page lists each heartbeat with its status and last ping and each source with its last signal and
its count over 24 hours (and says so plainly when there is none, in Korean too); the alert page draws the
value over time against the thresholds, its times in the reader's own zone. Nothing scrolls sideways."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from support.server import RunningHub, running_hub

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PROJECT = "checkout-frontend-eu-west-1-production-canary"


def seed(hub: RunningHub, value: float) -> int:
    body = {"rule_name": "sentry_error_rate", "metric_data": {"metric_value": value}, "labels": {"project": PROJECT}}
    answer = httpx.post(hub.url + "/api/alerts/send", json=body, timeout=10)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["alert_id"])


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    config = {
        "heartbeats": [
            {"name": "nightly-backup", "expect_every": "1d", "grace": "1h"},
            {"name": "hourly-export", "expect_every": "1h"},
        ]
    }
    with running_hub(tmp_path_factory.mktemp("monitors-hub"), config) as running:  # open loopback hub
        assert httpx.get(running.url + "/api/heartbeats/nightly-backup", timeout=10).status_code == 200
        # Defined by its first ping, to come every second: it is missing by the time anyone looks.
        flaky = httpx.get(running.url + "/api/heartbeats/zz-flaky-job", params={"expect_every": "1s"}, timeout=10)
        assert flaky.status_code == 200, flaky.text
        for value in (20, 57, 30, 35):  # opens at high, rises to critical, falls back, then only a new value
            seed(running, value)
        alert = {"labels": {"alertname": "KubePodCrashLooping", "namespace": "shop"}}
        assert httpx.post(running.url + "/api/v2/alerts", json=[alert], timeout=10).status_code == 200
        yield running


@pytest.fixture(scope="module")
def quiet_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    with running_hub(tmp_path_factory.mktemp("quiet-hub"), {}) as running:
        yield running


def open_on_phone(browser: Any, url: str, **options: Any) -> Any:
    context = browser.new_context(**PHONE, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page


def missing(hub: RunningHub, name: str) -> bool:
    beats = httpx.get(hub.url + "/api/heartbeats", timeout=10).json()["heartbeats"]
    return any(b["name"] == name and b["status"] == "missing" for b in beats)


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide on a 390 px phone"


def test_monitors_show_heartbeats_and_what_each_source_last_sent(
    browser: Any, hub: RunningHub, screenshots: Path
) -> None:
    deadline = time.monotonic() + 10
    while not missing(hub, "zz-flaky-job") and time.monotonic() < deadline:
        time.sleep(0.2)
    page = open_on_phone(browser, hub.url + "/monitors", locale="en-US")
    backup = page.locator("#heartbeats tr[data-name='nightly-backup']")
    backup.wait_for()
    rows = page.locator("#heartbeats tbody tr")
    assert rows.first.get_attribute("data-name") == "zz-flaky-job", "the one gone quiet comes first"
    assert rows.first.locator(".nstatus").text_content() == "missing"
    assert backup.locator(".nstatus").text_content() == "ok"
    assert "just now" in backup.locator("td").nth(2).inner_text()
    assert backup.locator("td").nth(3).inner_text().strip() == "1d + 1h grace"
    waiting = page.locator("#heartbeats tr[data-name='hourly-export']")
    assert waiting.locator(".nstatus").text_content() == "no ping yet"
    assert waiting.locator("td").nth(2).inner_text().strip() == "—"
    api = page.locator("#sources tr[data-source='api']")
    assert "just now" in api.locator("td").nth(1).inner_text()
    assert api.locator("td").nth(2).inner_text().strip().endswith("4")
    assert page.locator("#sources tr[data-source='alertmanager'] td").nth(2).inner_text().strip().endswith("1")
    assert page.locator("#sources tr[data-source='heartbeat']").count() == 0
    assert page.locator("#heartbeats-empty").is_hidden() and page.locator("#sources-empty").is_hidden()
    page.screenshot(path=str(screenshots / "phone-monitors-heartbeats-sources.png"), full_page=True)
    no_sideways_scroll(page)
    page.context.close()


def test_a_quiet_hub_says_there_is_nothing_yet_in_both_languages(
    browser: Any, quiet_hub: RunningHub, screenshots: Path
) -> None:
    page = open_on_phone(browser, quiet_hub.url + "/monitors", locale="en-US")
    page.locator("#heartbeats-empty").wait_for()
    assert page.locator("#heartbeats-empty").inner_text().startswith("No heartbeats.")
    assert page.locator("#sources-empty").inner_text() == "No source has sent a signal in the last 8d."
    assert page.locator("#heartbeats").is_hidden() and page.locator("#sources").is_hidden()
    no_sideways_scroll(page)
    page.context.close()
    page = open_on_phone(browser, quiet_hub.url + "/monitors", locale="ko-KR")
    page.locator("#sources-empty").wait_for()
    assert "하트비트" in page.locator("main").inner_text() and "소스별 수신 신호" in page.locator("main").inner_text()
    assert page.locator("#sources-empty").inner_text() == "최근 8일 동안 신호를 보낸 소스가 없습니다."
    page.screenshot(path=str(screenshots / "phone-monitors-empty-korean.png"), full_page=True)
    no_sideways_scroll(page)
    page.context.close()


def test_the_alert_page_draws_the_value_over_time_in_the_readers_zone(
    browser: Any, hub: RunningHub, screenshots: Path
) -> None:
    alert_id = seed(hub, 35)  # the same value again: the alert, unchanged
    detail = httpx.get(f"{hub.url}/api/alerts/{alert_id}", timeout=10).json()
    recorded = [e for e in detail["history"] if e["value"] is not None]
    assert [e["value"] for e in recorded] == [20, 57, 30], "the history keeps changes of state and severity"
    page = open_on_phone(browser, f"{hub.url}/alerts/{alert_id}", locale="en-GB", timezone_id="Asia/Seoul")
    chart = page.locator("svg.vchart-svg")
    chart.wait_for()
    points = chart.locator("polyline").get_attribute("points") or ""
    assert len(points.split()) == 4, "the three recorded values and the latest one (35)"
    assert chart.locator("circle.vchart-dot").count() == 4
    assert chart.locator("line.vchart-threshold").count() == 2, "high and critical"
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    first = datetime.fromisoformat(recorded[0]["at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Seoul"))
    # Sent within seconds of each other: the labels count seconds, in Seoul time rather than UTC.
    assert chart.locator("text.vchart-time").first.text_content() == f"{first:%H:%M:%S}"
    page.screenshot(path=str(screenshots / "phone-alert-value-chart.png"), full_page=True)
    no_sideways_scroll(page)
    page.context.close()
