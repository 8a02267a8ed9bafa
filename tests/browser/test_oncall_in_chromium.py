"""The On call page in a real Chromium against a real hub: a person signs in, sees who is on call now and
next, adds an override through the page's form (its own clock, Seoul here), sees it take effect, removes
it; and on a 390 px phone nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from support.server import RunningHub, running_hub

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    # The first turn began a day ago: alice holds the week, bob comes next.
    handoff = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0).isoformat()
    config = {
        "people": [{"name": "alice"}, {"name": "bob"}, {"name": "김민준"}],
        "schedules": [
            {
                "name": "primary",
                "time_zone": "Europe/Berlin",
                "rotation": {"every": "1w", "handoff": handoff, "people": ["alice", "bob"]},
            },
            {
                "name": "office",
                "time_zone": "Asia/Seoul",
                "rotation": {"every": "1d", "handoff": handoff, "people": ["김민준"]},
                "restrict": [{"weekdays": ["monday:friday"], "times": [{"start_time": "09:00", "end_time": "18:00"}]}],
            },
        ],
    }
    workdir = tmp_path_factory.mktemp("oncall-hub")
    with running_hub(workdir, config, users={"alice": PASSWORD}, tokens={"ops": "admin"}) as running:
        yield running


def signed_in(browser: Any, hub: RunningHub, **viewport: int) -> tuple[Any, Any]:
    size = viewport or {"width": 1360, "height": 860}
    context = browser.new_context(viewport=size, locale="en-US", timezone_id="Asia/Seoul")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(hub.url + "/oncall")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(hub.url + "/oncall")
    return context, page


def on_call(hub: RunningHub) -> dict[str, list[str]]:
    answer = httpx.get(hub.url + "/api/oncall", headers={"Authorization": f"Bearer {hub.tokens['ops']}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return {a["schedule"]: a["on_call"] for a in answer.json()}


def local_input(moment: datetime) -> str:
    return moment.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M")


def test_who_is_on_call_and_an_override_added_from_the_page(browser: Any, hub: RunningHub, screenshots: Path) -> None:
    context, page = signed_in(browser, hub)
    primary = page.locator("#schedule-primary")
    assert primary.locator("[data-now]").inner_text() == "alice"
    assert primary.locator("[data-next]").inner_text() == "bob"
    assert primary.locator(".oc-day").count() == 14
    page.screenshot(path=str(screenshots / "oncall.png"), full_page=True)

    now = datetime.now(UTC)
    form = primary.locator("form[data-override-form]")
    form.locator("select[name=person]").select_option("bob")
    form.locator("input[name=start]").fill(local_input(now - timedelta(minutes=2)))
    form.locator("input[name=end]").fill(local_input(now + timedelta(hours=3)))
    form.locator("button[type=submit]").click()
    page.locator("#schedule-primary .oc-overrides li[data-id]").wait_for()
    assert page.locator("#schedule-primary [data-now]").inner_text() == "bob"
    assert "set by alice" in page.locator("#schedule-primary .oc-overrides").inner_text()
    assert on_call(hub)["primary"] == ["bob"], "the API agrees: the override is stored"
    assert page.locator("#schedule-primary .oc-override").count() >= 1, "the calendar marks the override"
    page.screenshot(path=str(screenshots / "oncall-override.png"), full_page=True)

    page.locator("#schedule-primary button[data-remove-override]").click()
    page.locator("#schedule-primary .oc-overrides li.muted").wait_for()
    assert page.locator("#schedule-primary [data-now]").inner_text() == "alice"
    assert on_call(hub)["primary"] == ["alice"]
    context.close()


def test_a_bad_override_is_explained_and_changes_nothing(browser: Any, hub: RunningHub) -> None:
    context, page = signed_in(browser, hub)
    form = page.locator("#schedule-primary form[data-override-form]")
    now = datetime.now(UTC)
    form.locator("input[name=start]").fill(local_input(now + timedelta(hours=3)))
    form.locator("input[name=end]").fill(local_input(now + timedelta(hours=1)))
    form.locator("button[type=submit]").click()
    page.locator("#toast.error", has_text="must be after start").wait_for()
    assert on_call(hub)["primary"] == ["alice"]
    context.close()


def test_no_sideways_scrolling_on_a_phone(browser: Any, hub: RunningHub, screenshots: Path) -> None:
    context, page = signed_in(browser, hub, width=390, height=844)
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 390, widths
    page.screenshot(path=str(screenshots / "oncall-phone.png"), full_page=True)
    context.close()
