"""In a real Chromium against a real hub, as the person on call uses it: the silence form shows which open
alerts a silence will match before it is created (and changes as the matchers change); a note typed on
the alert page lands in its history; and an escalation is on the alert page, with "Paged to me" on the
board listing the alert that paged the signed-in person."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import RunningHub, running_hub

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    config = {
        "channels": [{"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"}],
        "people": [{"name": "alice"}],
        "escalation_policies": [{"name": "critical", "steps": [{"notify": ["person:alice"], "wait": "1h"}]}],
        "receivers": [{"name": "ops", "channels": ["hook"], "escalation": "critical"}],
        "route": {
            "receiver": "hook",
            "group_wait": "0s",
            "routes": [{"matchers": ['service="checkout"'], "receiver": "ops"}],
        },
    }
    with running_hub(
        tmp_path_factory.mktemp("notes-hub"), config, users={"alice": PASSWORD}, tokens={"ops": "admin"}
    ) as running:
        alerts = [
            {"labels": {"alertname": "DiskFull", "service": "checkout", "host": "web-1", "severity": "critical"}},
            {"labels": {"alertname": "DiskFull", "service": "search", "host": "web-2", "severity": "warning"}},
        ]
        answer = httpx.post(running.url + "/api/v2/alerts", json=alerts, headers=running.bearer, timeout=10)
        assert answer.status_code == 200, answer.text
        yield running


@pytest.fixture(scope="module")
def page(browser: Any, hub: RunningHub) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    opened.goto(hub.url + "/login")
    opened.fill("input[name=username]", "alice")
    opened.fill("input[name=password]", PASSWORD)
    opened.click("button[type=submit]")
    opened.wait_for_load_state()
    yield opened
    context.close()


def alert_id(hub: RunningHub, service: str) -> int:
    found = httpx.get(hub.url + "/api/alerts", params={"label": f"service:{service}"}, headers=hub.bearer, timeout=10)
    return int(found.json()["alerts"][0]["id"])


def test_the_silence_form_previews_what_it_will_match(page: Any, hub: RunningHub, screenshots: Path) -> None:
    page.goto(f"{hub.url}/silences?alert={alert_id(hub, 'checkout')}#new")
    preview = page.locator("#silence-preview")
    preview.get_by_text("Open alerts this silence will match now: 1").wait_for()
    assert "web-1" in preview.inner_text() and "web-2" not in preview.inner_text()
    # Widen it to every DiskFull: keep only the alertname matcher.
    while page.locator(".matcher").count() > 1:
        page.locator(".matcher [data-remove]").last.click()
    preview.get_by_text("Open alerts this silence will match now: 2").wait_for()
    page.locator(".matcher input[name=m_value]").first.fill("NoSuchAlert")
    preview.get_by_text("No open alert matches these matchers now.").wait_for()
    page.screenshot(path=str(screenshots / "silence-preview.png"), full_page=True)
    listed = httpx.get(hub.url + "/api/silences", headers=hub.bearer, timeout=10).json()
    assert listed["silences"] == []  # previewing created nothing


def test_a_note_from_the_alert_page_lands_in_its_history(page: Any, hub: RunningHub, screenshots: Path) -> None:
    target = alert_id(hub, "search")
    page.goto(f"{hub.url}/alerts/{target}")
    page.fill("#comment-form textarea", "restarting the indexer <b>now</b>")
    page.click("#comment-form button[type=submit]")
    page.locator("table.history").get_by_text("restarting the indexer <b>now</b>").wait_for()
    history = httpx.get(f"{hub.url}/api/alerts/{target}", headers=hub.bearer, timeout=10).json()["history"]
    assert history[-1]["kind"] == "comment" and history[-1]["actor"] == "user:alice"
    page.screenshot(path=str(screenshots / "alert-note.png"), full_page=True)


def test_the_escalation_is_on_the_alert_page_and_paged_to_me_finds_it(page: Any, hub: RunningHub) -> None:
    paged = alert_id(hub, "checkout")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the hub's escalation loop takes the first step at once
        detail = httpx.get(f"{hub.url}/api/alerts/{paged}", headers=hub.bearer, timeout=10).json()
        if detail["escalations"] and detail["escalations"][0]["step"] == 1:
            break
        time.sleep(0.2)
    page.goto(f"{hub.url}/alerts/{paged}")
    card = page.locator("section.escalation")
    assert "step 1 of 1: paged alice via hook (first page)" in card.inner_text()
    page.goto(hub.url + "/")
    page.get_by_role("link", name="Paged to me").click()
    page.wait_for_load_state()
    rows = page.locator("#alerts tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-id") == str(paged)


def test_a_recurring_silence_is_made_from_the_form(page: Any, hub: RunningHub, screenshots: Path) -> None:
    page.goto(f"{hub.url}/silences?alert={alert_id(hub, 'search')}#new")
    page.fill("input[name=comment]", "weekly reindex")
    page.click("#repeat summary")
    page.fill("input[name=rrule]", "FREQ=WEEKLY;BYDAY=SU")
    page.fill("input[name=first]", "2030-01-06T02:00")
    page.fill("input[name=zone]", "Asia/Seoul")
    page.click("#silence-form button[type=submit]")
    row = page.locator("#silences tbody tr", has_text="weekly reindex")
    row.wait_for()
    assert "↻ repeats FREQ=WEEKLY;BYDAY=SU" in row.inner_text() and "Asia/Seoul" in row.inner_text()
    page.screenshot(path=str(screenshots / "silence-recurring.png"), full_page=True)
    listed = httpx.get(hub.url + "/api/silences", headers=hub.bearer, timeout=10).json()["silences"]
    [made] = [s for s in listed if s["comment"] == "weekly reindex"]
    assert made["recurrence"]["timeZone"] == "Asia/Seoul" and made["status"]["state"] == "pending"
    assert made["recurrence"]["occurrence"]["startsAt"] == "2030-01-05T17:00:00Z"  # 02:00 in Seoul
