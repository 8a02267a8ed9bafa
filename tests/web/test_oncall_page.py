"""The "On call" page as a browser receives it: who is on call now and next, two weeks day by day on the
schedule's clock (the layer's office hours in Seoul time), overrides with their remove buttons, names
escaped, and a page that says what to configure when there is nothing."""

from __future__ import annotations

import re

import httpx
import pytest

from alerthub.config.models import Config

HTML = {"Accept": "text/html"}
OFFICE_HOURS = {"start_time": "09:00", "end_time": "18:00"}
# The fake clock starts on Friday 2026-11-27 at 09:00 UTC (18:00 in Seoul).
CONFIG = {
    "people": [{"name": "alice"}, {"name": "<i>bob"}, {"name": "김민준"}],
    "schedules": [
        {
            "name": "seoul",
            "time_zone": "Asia/Seoul",
            "rotation": {"every": "1w", "handoff": "2026-11-23T09:00:00+09:00", "people": ["alice", "<i>bob"]},
            "layers": [
                {
                    "rotation": {"every": "1d", "handoff": "2026-11-23T00:00:00+09:00", "people": ["김민준"]},
                    "restrict": [{"weekdays": ["monday:friday"], "times": [OFFICE_HOURS]}],
                }
            ],
        }
    ],
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(CONFIG)


async def test_the_page_shows_now_next_two_weeks_and_overrides(client: httpx.AsyncClient) -> None:
    cover = {"person": "<i>bob", "start": "2026-11-28T10:00:00+09:00", "end": "2026-11-28T20:00:00+09:00"}
    created = await client.post("/api/schedules/seoul/overrides", json=cover)
    assert created.status_code == 201
    page = await client.get("/oncall", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert '<a href="/oncall" aria-current="page">On call</a>' in html
    now = re.search(r"data-now>(.*?)</p>", html)
    assert now and now.group(1) == "<b>alice</b>", "the office hours ended at 18:00 Seoul time"
    assert "&lt;i&gt;bob" in html and "<i>bob" not in html
    days = re.findall(r'<span class="oc-date">(.*?)</span>', html)
    assert len(days) == 14 and days[0] == "Fri 11-27" and days[1] == "Sat 11-28"
    assert '<span class="muted">09:00–18:00</span> 김민준' in html
    assert '<span class="muted">10:00–20:00</span> &lt;i&gt;bob <span class="tag">override</span>' in html
    assert f'data-remove-override="{created.json()["id"]}"' in html
    assert '<form class="row-form oc-form" data-override-form>' in html


async def test_korean_page(client: httpx.AsyncClient) -> None:
    html = (await client.get("/oncall", headers=HTML | {"Accept-Language": "ko"})).text
    assert ">당번<" in html and "금 11-27" in html


@pytest.mark.parametrize("config", [Config()])
async def test_without_schedules_the_page_says_what_to_configure(client: httpx.AsyncClient) -> None:
    html = (await client.get("/oncall", headers=HTML)).text
    assert "add people[] and schedules[] to the configuration" in html
