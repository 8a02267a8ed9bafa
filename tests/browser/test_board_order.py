"""The board as an on-call engineer sees it in Chromium at 3 a.m. (issue #13): the alert nobody has taken on
top, then the acknowledged one, then the silenced one, marked "silenced by … until …" with the silence's
comment; text a person typed into a silence stays text; live updates keep the order and the marker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import RunningHub, running_hub

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
EVIL_AUTHOR = "<img src=x onerror=window.__xss=1>"
EVIL_COMMENT = "<script>window.__xss = 2</script> disk swap tonight"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    # No user and no token: the hub is open on loopback, as after `make run`.
    config = {"rules": [{"name": "disk_usage", "thresholds": {"warning": 80, "high": 90, "critical": 95}}]}
    with running_hub(tmp_path_factory.mktemp("board-hub"), config) as hub:
        yield hub


def post_alert(hub: RunningHub, value: float, info: str, host: str) -> int:
    body = {"rule_name": "disk_usage", "metric_data": {"metric_value": value, "additional_info": info}}
    answer = httpx.post(hub.url + "/api/alerts/send", json=body | {"labels": {"host": host}}, timeout=10)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["alert_id"])


def board_ids(page: Any) -> list[int]:
    ids = page.locator("#alerts tbody tr").evaluate_all("(rows) => rows.map((r) => Number(r.dataset.id))")
    return list(ids)


def test_unhandled_first_then_acknowledged_then_silenced(browser: Any, hub: RunningHub, screenshots: Path) -> None:
    unhandled = post_alert(hub, 99, "Disk full on db-1", "db-1")
    acked = post_alert(hub, 99, "Disk full on db-2", "db-2")
    assert httpx.post(f"{hub.url}/api/alerts/{acked}/ack", json={"by": "kim"}, timeout=10).status_code == 200
    silenced = post_alert(hub, 99, "Disk full on db-3", "db-3")
    silence = {
        "matchers": [{"name": "host", "value": "db-3", "isRegex": False}],
        "startsAt": "2020-01-01T00:00:00Z",
        "endsAt": "2099-01-01T00:00:00Z",
        "createdBy": EVIL_AUTHOR,
        "comment": EVIL_COMMENT,
    }
    assert httpx.post(hub.url + "/api/silences", json=silence, timeout=10).status_code in (200, 201)

    context = browser.new_context(viewport={"width": 1360, "height": 860}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hub.url + "/?state=open&severity=critical")
    page.locator("#live[data-state=on]").wait_for()
    assert board_ids(page) == [unhandled, acked, silenced]
    assert page.locator('[data-tally="critical"]').inner_text() == "3", "the box counts the rows below it"

    row = page.locator(f'#alerts tr[data-id="{silenced}"]')
    note = row.locator(".mute-note").inner_text()
    assert note.startswith(f"silenced by {EVIL_AUTHOR} until "), note
    assert EVIL_COMMENT in note
    assert row.locator(".headline").inner_text() == "Disk full on db-3"
    assert row.locator("button[data-action=ack]").count() == 0, "a silenced alert is not offered as unhandled"
    assert page.locator(f'#alerts tr[data-id="{unhandled}"] button[data-action=ack]').count() == 1
    page.screenshot(path=str(screenshots / "alerts-muted.png"))

    # Live: the silenced alert repeats (its event carries no mute state) and a new critical arrives.
    page.evaluate("window.__sameDocument = true")
    post_alert(hub, 99.5, "Disk full on db-3", "db-3")
    fresh = post_alert(hub, 99, "Disk full on db-4", "db-4")
    page.locator(f'#alerts tr[data-id="{fresh}"]').wait_for()
    page.wait_for_function(
        f"document.querySelector('#alerts tr[data-id=\"{silenced}\"] td.num').textContent === '99.5'"
    )
    assert page.evaluate("window.__sameDocument") is True
    assert board_ids(page) == [fresh, unhandled, acked, silenced]
    assert "silenced by" in row.locator(".mute-note").inner_text(), "a live update keeps the marker"
    assert page.locator('[data-tally="critical"]').inner_text() == "4"
    assert page.title().startswith("(2) "), "the tab counts what fires with nobody on it"

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    small = phone.new_page()
    small.goto(hub.url + "/?state=open")
    small.locator("#alerts tbody tr").first.wait_for()
    assert small.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll on a phone"
    small.screenshot(path=str(screenshots / "alerts-muted-phone.png"), full_page=True)
    phone.close()

    assert page.evaluate("window.__xss") is None and dialogs == [], "text from a silence ran as a script"
    context.close()
