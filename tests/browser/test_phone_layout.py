"""Every page of the dashboard on a 390 px phone, as an on-call engineer opens it at 3 a.m.: nothing
scrolls sideways, however long the labels, matchers, channel errors or Korean text in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import RunningHub, running_hub

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
LONG = "checkout-frontend-eu-west-1-production-canary-" * 3
PAGES = [
    "/",
    "/alerts/1",
    "/alerts/2",  # with values over time: its page draws them
    "/silences",
    "/rules",
    "/channels",
    "/monitors",
    "/notifications",
    "/overview",
    "/oncall",
]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    config = {
        "channels": [{"name": "ops-discord-" + "x" * 40, "type": "webhook", "url": "http://127.0.0.1:9/hook/" + LONG}],
        "heartbeats": [{"name": "nightly-backup-" + LONG[:40], "expect_every": "1h"}],
        "people": [{"name": "alice"}],
        # An escalation, so the alert page's and the On call page's escalation tables are measured too.
        "escalation_policies": [
            {"name": "critical-" + LONG[:40], "steps": [{"notify": ["person:alice"], "wait": "1h"}]}
        ],
        "receivers": [
            {"name": "ops-" + LONG[:40], "channels": ["ops-discord-" + "x" * 40], "escalation": "critical-" + LONG[:40]}
        ],
        "route": {"receiver": "ops-" + LONG[:40], "group_wait": "0s"},
        "schedules": [
            {
                "name": "primary",
                "time_zone": "Asia/Seoul",
                "rotation": {"every": "1w", "handoff": "2026-11-30T09:00:00+09:00", "people": ["alice"]},
            }
        ],
    }
    workdir = tmp_path_factory.mktemp("phone-hub")
    with running_hub(workdir, config, users={"alice": PASSWORD}, tokens={"ops": "admin"}) as running:
        alert = {
            "labels": {"alertname": "HighLatency" + "X" * 30, "service": LONG, "instance": LONG, "severity": "high"},
            "annotations": {"summary": "서비스 응답 지연: " + LONG, "description": "p99 " + LONG},
        }
        answer = httpx.post(running.url + "/api/v2/alerts", json=[alert], headers=running.bearer, timeout=10)
        assert answer.status_code == 200, answer.text
        for value in (20, 57, 30, 35):
            body = {
                "rule_name": "sentry_error_rate",
                "metric_data": {"metric_value": value},
                "labels": {"project": LONG},
            }
            answer = httpx.post(running.url + "/api/alerts/send", json=body, headers=running.bearer, timeout=10)
            assert answer.status_code == 202 and answer.json()["alert_id"] == 2, answer.text
        silence = {
            "matchers": [{"name": "service", "value": LONG, "isRegex": False}],
            "startsAt": "2026-01-01T00:00:00Z",
            "endsAt": "2099-01-01T00:00:00Z",
            "createdBy": "alice",
            "comment": "maintenance of " + LONG,
        }
        answer = httpx.post(running.url + "/api/v2/silences", json=silence, headers=running.bearer, timeout=10)
        assert answer.status_code == 200, answer.text
        yield running


@pytest.fixture(scope="module")
def phone(browser: Any, hub: RunningHub) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(hub.url + "/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(phone: Any, hub: RunningHub, path: str, screenshots: Path) -> None:
    answer = phone.goto(hub.url + path)
    assert answer is not None and answer.status == 200, path
    phone.wait_for_load_state("networkidle")
    width = phone.evaluate("document.documentElement.scrollWidth")
    name = "phone" + (path.replace("/", "-") if path != "/" else "-alerts")
    phone.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
