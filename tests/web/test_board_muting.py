"""The alerts board at 3 a.m. (issue #13): what nobody has taken comes first, then what somebody has, then
what is silenced or inhibited, each marked with what holds it back; the count boxes count the rows shown;
the human summary is the headline; a silence's text from outside stays text."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from alerthub.config.models import Config
from support.clock import FakeClock

HTML = {"Accept": "text/html"}
EVIL_COMMENT = "<script>alert(1)</script> until the fix"
EVIL_AUTHOR = "<b>mallory</b>"


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "rules": [{"name": "disk_usage", "thresholds": {"warning": 80, "high": 90, "critical": 95}}],
            "inhibit_rules": [
                {
                    "source_matchers": ['severity="critical"'],
                    "target_matchers": ['severity="warning"'],
                    "equal": ["service"],
                }
            ],
        }
    )


async def send(client: httpx.AsyncClient, value: float, info: str, **labels: str) -> int:
    data = {"metric_value": value, "additional_info": info}
    body = {"rule_name": "disk_usage", "metric_data": data, "labels": labels}
    answer = await client.post("/api/alerts/send", json=body)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["alert_id"])


async def am_post(client: httpx.AsyncClient, **labels: str) -> int:
    assert (await client.post("/api/v2/alerts", json=[{"labels": labels}])).status_code == 200
    found = (await client.get("/api/alerts", params={"rule": labels["alertname"]})).json()["alerts"]
    return int(found[0]["id"])


def rows(html: str) -> dict[int, str]:
    """Each row's HTML by alert id, in the board's order (dicts keep it)."""
    return {int(i): body for i, body in re.findall(r'<tr data-id="(\d+)"(.*?)</tr>', html, re.S)}


def tallies(html: str) -> dict[str, int]:
    return {s: int(n) for s, n in re.findall(r'<span class="n" data-tally="(\w+)">(\d+)</span>', html)}


@pytest.fixture
async def night(client: httpx.AsyncClient, clock: FakeClock) -> dict[str, int]:
    """The mix the issue describes, one minute apart: each later one changed more recently."""
    ids: dict[str, Any] = {}
    ids["unhandled"] = await send(client, 99, "Disk full on db-1", host="db-1", service="db")
    clock.advance(60)
    ids["acked"] = await send(client, 99, "Disk full on db-2", host="db-2", service="db")
    clock.advance(60)
    assert (await client.post(f"/api/alerts/{ids['acked']}/ack", json={"by": "kim"})).status_code == 200
    ids["silenced"] = await send(client, 99, "Disk full on db-3", host="db-3", service="db")
    silence = {
        "matchers": [{"name": "host", "value": "db-3", "isRegex": False}],
        "startsAt": "2026-11-27T09:00:00Z",
        "endsAt": "2026-11-27T13:00:00Z",
        "createdBy": EVIL_AUTHOR,
        "comment": EVIL_COMMENT,
    }
    assert (await client.post("/api/silences", json=silence)).status_code in (200, 201)
    clock.advance(60)
    ids["warning"] = await send(client, 85, "Disk filling on web-1", host="web-1", service="web")
    clock.advance(60)
    ids["api_down"] = await am_post(client, alertname="ApiDown", service="api", severity="critical")
    ids["api_slow"] = await am_post(client, alertname="ApiSlow", service="api", severity="warning")
    return ids


async def test_unhandled_first_then_acknowledged_then_muted(client: httpx.AsyncClient, night: dict[str, int]) -> None:
    html = (await client.get("/?state=open", headers=HTML)).text
    order = ["api_down", "unhandled", "warning", "acked", "silenced", "api_slow"]
    assert list(rows(html)) == [night[k] for k in order]
    critical = (await client.get("/?state=open&severity=critical", headers=HTML)).text
    assert list(rows(critical)) == [night[k] for k in ("api_down", "unhandled", "acked", "silenced")]


async def test_count_boxes_count_the_rows_shown(client: httpx.AsyncClient, night: dict[str, int]) -> None:
    critical = (await client.get("/?state=open&severity=critical", headers=HTML)).text
    assert tallies(critical)["critical"] == len(rows(critical)) == 4
    board = (await client.get("/?state=open", headers=HTML)).text
    assert tallies(board) == {"critical": 4, "high": 0, "warning": 2, "info": 0}
    # A box leads to exactly the rows it counted: the same filters, narrowed to its severity.
    link = re.search(r'<a class="tally sev-warning" href="\?([^"]+)"', board).group(1)  # type: ignore[union-attr]
    assert link == "state=open&amp;severity=warning"
    assert len(rows((await client.get("/?state=open&severity=warning", headers=HTML)).text)) == 2


async def test_muted_rows_say_by_what_and_offer_no_acknowledge(
    client: httpx.AsyncClient, night: dict[str, int]
) -> None:
    board = rows((await client.get("/", headers=HTML)).text)
    silenced = board[night["silenced"]]
    assert 'class="state state-muted">silenced<' in silenced
    assert "silenced by <b>&lt;b&gt;mallory&lt;/b&gt;</b> until" in silenced
    assert '<time class="abs" datetime="2026-11-27T13:00:00Z"' in silenced and "2026-11-27 13:00 UTC" in silenced
    assert "&lt;script&gt;alert(1)&lt;/script&gt; until the fix" in silenced and "<script>alert" not in silenced
    inhibited = board[night["api_slow"]]
    assert f'inhibited by <a href="/alerts/{night["api_down"]}">ApiDown #{night["api_down"]}</a>' in inhibited
    for muted in (silenced, inhibited):
        assert 'data-action="ack"' not in muted and 'data-muted="1"' in muted
    assert 'data-action="ack"' in board[night["unhandled"]] and "mute-note" not in board[night["unhandled"]]


async def test_the_summary_is_the_headline(client: httpx.AsyncClient, night: dict[str, int]) -> None:
    row = rows((await client.get("/", headers=HTML)).text)[night["unhandled"]]
    assert f'<a class="headline" href="/alerts/{night["unhandled"]}">Disk full on db-1</a>' in row
    assert '<div class="rule-name">disk_usage</div>' in row
    # With no summary the rule name is all there is to show.
    bare = rows((await client.get("/", headers=HTML)).text)[night["api_down"]]
    assert f'<a class="headline" href="/alerts/{night["api_down"]}">ApiDown</a>' in bare


async def test_the_alert_page_marks_a_silenced_alert(client: httpx.AsyncClient, night: dict[str, int]) -> None:
    html = (await client.get(f"/alerts/{night['silenced']}", headers=HTML)).text
    assert "silenced by <b>&lt;b&gt;mallory&lt;/b&gt;</b> until" in html and "<script>alert(1)" not in html
    assert 'data-action="ack"' not in html
