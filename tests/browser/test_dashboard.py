"""A person on call, in a real Chromium against a real hub: log in, watch an alert arrive without a
reload, acknowledge it, silence it, find the failed notification and retry it, and never run a script
that came in an alert's text. Screenshots of every page land in build/screenshots/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import RunningHub, running_hub
from support.standins import Receiver

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def refusing_receiver() -> Iterator[Receiver]:
    """A webhook endpoint that answers 400, so every notification to it fails for good."""
    receiver = Receiver(status=400)
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def accepting_receiver() -> Iterator[Receiver]:
    receiver = Receiver(status=200)
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def hub(
    tmp_path_factory: pytest.TempPathFactory, refusing_receiver: Receiver, accepting_receiver: Receiver
) -> Iterator[RunningHub]:
    config = {
        "channels": [
            {"name": "ops-webhook", "type": "webhook", "url": refusing_receiver.base_url + "/hook"},
            {"name": "audit-webhook", "type": "webhook", "url": accepting_receiver.base_url + "/hook"},
        ],
        "route": {"receiver": "ops-webhook", "group_wait": "0s", "group_interval": "1s"},
        "rules": [
            {"name": "disk_usage", "thresholds": {"warning": 80, "high": 90, "critical": 95}},
        ],
    }
    workdir = tmp_path_factory.mktemp("browser-hub")
    with running_hub(workdir, config, users={"alice": PASSWORD}, tokens={"sender": "ingest", "ops": "admin"}) as hub:
        yield hub


def post_alert(hub: RunningHub, value: float, info: str, **labels: str) -> int:
    body = {
        "rule_name": "disk_usage",
        "metric_data": {"metric_value": value, "additional_info": info},
        "labels": labels,
    }
    answer = httpx.post(hub.url + "/api/alerts/send", json=body, headers=_auth(hub, "sender"), timeout=10)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["alert_id"])


def _auth(hub: RunningHub, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {hub.tokens[token]}"}


def admin_get(hub: RunningHub, path: str) -> Any:
    answer = httpx.get(hub.url + path, headers=_auth(hub, "ops"), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def page(browser: Any, hub: RunningHub) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 860}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hub.url + "/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(hub.url + "/")
    yield page
    assert dialogs == [], f"a script from outside ran: {dialogs}"
    context.close()


def test_login_page_keeps_strangers_out(browser: Any, hub: RunningHub, screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    page = context.new_page()
    page.goto(hub.url + "/notifications")
    assert page.url.startswith(hub.url + "/login?next=")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    page.locator(".notice.error").wait_for()
    assert "Wrong user name or password" in page.locator(".notice.error").inner_text()
    page.screenshot(path=str(screenshots / "login.png"))
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(hub.url + "/notifications")
    context.close()


def test_alert_arrives_live_then_is_acknowledged_and_silenced(page: Any, hub: RunningHub, screenshots: Path) -> None:
    page.evaluate("window.__sameDocument = true")
    alert_id = post_alert(hub, 97.5, "Disk almost full on db-1", host="db-1", mount="/var")
    row = page.locator(f'#alerts tr[data-id="{alert_id}"]')
    row.wait_for()
    assert page.evaluate("window.__sameDocument") is True, "the row came without a reload"
    assert "Disk almost full on db-1" in row.inner_text() and "firing" in row.inner_text()
    assert re.fullmatch(r"\(\d+\) Alerts · alerthub", page.title()), "the tab title counts what fires"
    page.screenshot(path=str(screenshots / "alerts.png"))

    row.locator("button[data-action=ack]").click()
    row.locator(".state-acknowledged").wait_for()
    assert admin_get(hub, f"/api/alerts/{alert_id}")["acknowledged_by"] == "alice"

    row.locator("a", has_text="Silence").click()
    page.wait_for_url(f"{hub.url}/silences?alert={alert_id}#new")
    names = page.locator("input[name=m_name]").evaluate_all("(xs) => xs.map((x) => x.value)")
    assert names == ["alertname", "host", "mount"]
    page.select_option("select[name=duration]", "3600")
    page.click("#silence-form button[type=submit]")
    page.locator("#silences tbody tr").first.wait_for()
    assert "alertname=disk_usage" in page.locator("#silences tbody").inner_text()
    page.screenshot(path=str(screenshots / "silences.png"), full_page=True)
    silences = admin_get(hub, "/api/silences")
    listed = silences if isinstance(silences, list) else silences["silences"]
    assert [s["createdBy"] for s in listed] == ["alice"]

    page.locator("#silences tbody tr button", has_text="Expire").click()
    page.locator("#silences tbody tr", has_text="expired").wait_for()
    silences = admin_get(hub, "/api/silences")
    listed = silences if isinstance(silences, list) else silences["silences"]
    assert [s["status"]["state"] for s in listed] == ["expired"]

    page.goto(f"{hub.url}/alerts/{alert_id}")
    assert "user:alice" in page.locator(".history").inner_text()
    page.screenshot(path=str(screenshots / "alert-detail.png"), full_page=True)
    page.locator("article.detail[data-live=on]").wait_for()
    resolved = httpx.post(f"{hub.url}/api/alerts/{alert_id}/resolve", json={}, headers=_auth(hub, "ops"), timeout=10)
    assert resolved.status_code == 200
    page.locator("#changed", has_text="This alert has changed").wait_for()


def test_failed_notification_is_visible_and_retried(
    page: Any, hub: RunningHub, refusing_receiver: Receiver, screenshots: Path
) -> None:
    post_alert(hub, 99, "Checkout errors", host="web-2")
    deadline = time.monotonic() + 20
    failed: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not failed:
        failed = admin_get(hub, "/api/notifications?status=failed")["notifications"]
        time.sleep(0.2)
    assert failed, f"no failed notification; log:\n{hub.log()[-3000:]}"
    before = len(refusing_receiver.requests)
    page.goto(hub.url + "/notifications")
    first = page.locator("#notifications tbody tr").first
    first.locator(".nstatus-failed").wait_for()
    assert "400" in first.inner_text(), "the receiver's answer is shown as the last error"
    page.screenshot(path=str(screenshots / "notifications.png"), full_page=True)
    first.locator("button", has_text="Retry").click()
    page.locator("#toast", has_text="Queued for another attempt").wait_for()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(refusing_receiver.requests) <= before:
        time.sleep(0.2)
    assert len(refusing_receiver.requests) > before, "the retry reached the channel again"


def test_channel_test_button_shows_the_real_outcome(
    page: Any, hub: RunningHub, accepting_receiver: Receiver, screenshots: Path
) -> None:
    page.goto(hub.url + "/channels")
    good = page.locator('#channels tr[data-name="audit-webhook"]')
    good.locator("button", has_text="Test").click()
    good.locator(".outcome.ok-text", has_text="Test message sent").wait_for()
    assert len(accepting_receiver.requests) == 1, "the test message really went out"
    row = page.locator('#channels tr[data-name="ops-webhook"]')
    row.locator("button", has_text="Test").click()
    outcome = row.locator(".outcome.err")
    outcome.wait_for()
    assert "Test failed" in outcome.inner_text() and "400" in outcome.inner_text()
    page.screenshot(path=str(screenshots / "channels.png"), full_page=True)


def test_script_in_an_alert_never_runs(page: Any, hub: RunningHub, screenshots: Path) -> None:
    evil = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
    alert_id = post_alert(hub, 91, evil, host='"><svg onload="window.__xss = 3">')
    row = page.locator(f'#alerts tr[data-id="{alert_id}"]')
    row.wait_for()  # rendered live by the script
    assert "<script>window.__xss = 1</script>" in row.inner_text()
    assert page.evaluate("window.__xss") is None
    page.reload()  # rendered by the server
    page.locator(f'#alerts tr[data-id="{alert_id}"]').wait_for()
    assert page.evaluate("window.__xss") is None
    page.goto(f"{hub.url}/alerts/{alert_id}")
    assert evil in page.locator(".lead").inner_text()
    assert page.evaluate("window.__xss") is None


def test_every_page_looks_right(browser: Any, page: Any, hub: RunningHub, screenshots: Path) -> None:
    for name in ("rules", "monitors", "overview"):
        page.goto(f"{hub.url}/{name}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    page.goto(hub.url + "/")
    page.locator("#alerts tbody tr").first.wait_for()
    cookies = page.context.cookies()
    for label, options in {
        "alerts-phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
        "alerts-dark": {"viewport": {"width": 1360, "height": 860}, "color_scheme": "dark"},
        "overview-korean": {"viewport": {"width": 1360, "height": 860}, "locale": "ko-KR"},
    }.items():
        context = browser.new_context(**options)
        context.add_cookies(cookies)
        other = context.new_page()
        other.goto(hub.url + ("/overview" if "overview" in label else "/"))
        other.wait_for_load_state("networkidle")
        if label == "overview-korean":
            assert "개요" in other.locator("nav").inner_text()
        other.screenshot(path=str(screenshots / f"{label}.png"), full_page=label != "alerts-dark")
        context.close()


def test_a_fresh_hub_on_loopback_is_usable_without_login(browser: Any, tmp_path: Path, screenshots: Path) -> None:
    """The `make run` experience: no user, no token, open on 127.0.0.1; acting still carries CSRF."""
    with running_hub(tmp_path / "open", {"rules": [{"name": "disk_usage", "thresholds": {"high": 90}}]}) as open_hub:
        context = browser.new_context(viewport={"width": 1360, "height": 860})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(open_hub.url + "/")
        assert page.url == open_hub.url + "/" and "open (no login)" in page.locator(".who").inner_text()
        page.locator("#live[data-state=on]").wait_for()
        body = {"rule_name": "disk_usage", "metric_data": {"metric_value": 93, "additional_info": "no login here"}}
        answer = httpx.post(open_hub.url + "/api/alerts/send", json=body, timeout=10)
        alert_id = answer.json()["alert_id"]
        row = page.locator(f'#alerts tr[data-id="{alert_id}"]')
        row.locator("button[data-action=resolve]").click()
        row.locator(".state-resolved").wait_for()
        trace = httpx.get(f"{open_hub.url}/api/alerts/{alert_id}/trace", timeout=10).json()["trace"]
        [resolved] = [e for e in trace if e["to_state"] == "resolved"]
        assert resolved["actor"] == "user:web"  # as the page's silences say; not "api"
        page.screenshot(path=str(screenshots / "alerts-open-mode.png"))
        context.close()


def test_alerts_missed_while_the_stream_was_down_are_caught_up(page: Any, hub: RunningHub) -> None:
    page.route("**/api/events", lambda route: route.abort())
    page.reload()
    page.locator("#live[data-state=off]").wait_for()
    page.evaluate("window.__sameDocument = true")
    alert_id = post_alert(hub, 92, "posted while the page was offline", host="offline-1")
    page.unroute("**/api/events")  # the EventSource retries by itself
    page.locator(f'#alerts tr[data-id="{alert_id}"]').wait_for()
    page.locator("#live[data-state=on]").wait_for()
    assert page.evaluate("window.__sameDocument") is True
