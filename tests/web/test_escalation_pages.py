"""An escalation as the pages show it: the alert page says where it stands (policy, state, when the next
step is due) and lists every step taken and why; the On call page lists the open pages; both stop
showing it as running once someone acknowledges. Names from outside are escaped."""

from __future__ import annotations

import re

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from support.clock import FakeClock
from support.pipeline import fire

HTML = {"Accept": "text/html"}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "channels": [{"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"}],
            "people": [{"name": "<b>alice"}, {"name": "alice.kim"}],
            "escalation_policies": [
                {
                    "name": "critical",
                    "steps": [
                        {"notify": ["person:<b>alice", "person:alice.kim"], "wait": "10m"},
                        {"notify": ["person:<b>alice"]},
                    ],
                }
            ],
            "receivers": [{"name": "ops", "channels": ["hook"], "escalation": "critical"}],
            "route": {"receiver": "ops", "group_wait": "0s"},
            "rules": [{"name": "disk_full", "thresholds": {"critical": 90}}],
        }
    )


async def test_the_alert_and_on_call_pages_show_the_escalation(
    hub: Hub, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    alert_id = await fire(hub, "disk_full", 97.0, host="web-1")
    await hub.escalator.run_once()
    page = (await client.get(f"/alerts/{alert_id}", headers=HTML)).text
    assert '<section class="card escalation">' in page
    assert "step 1 of 2: paged &lt;b&gt;alice, alice.kim via hook (first page)" in page and "<b>alice" not in page
    assert ">paging<" in page  # the state
    oncall = (await client.get("/oncall", headers=HTML)).text
    assert "Open pages" in oncall and f'href="/alerts/{alert_id}"' in oncall

    detail = (await client.get(f"/api/alerts/{alert_id}")).json()
    [esc] = detail["escalations"]
    assert esc["policy"] == "critical" and esc["state"] == "active" and esc["step"] == 1
    assert esc["next_at"] == "2026-11-27T09:10:00Z"

    await hub.alerts.acknowledge(alert_id, "kim")
    await hub.escalator.run_once()
    assert (await client.get(f"/api/alerts/{alert_id}")).json()["escalations"][0]["state"] == "done"
    assert "Open pages" not in (await client.get("/oncall", headers=HTML)).text
    assert ">ended<" in (await client.get(f"/alerts/{alert_id}", headers=HTML)).text


async def test_paged_to_me_lists_the_alerts_that_paged_the_signed_in_person(
    hub: Hub, client: httpx.AsyncClient
) -> None:
    paged = await fire(hub, "disk_full", 97.0, host="web-1")
    await hub.escalator.run_once()
    quiet = await fire(hub, "disk_full", 99.0, host="web-2")  # its first step not taken yet: nobody paged
    board = (await client.get("/", headers=HTML)).text
    assert "Unacknowledged" in board and "Paged to me" not in board  # nobody is signed in on an open hub

    await client._transport.app.state.auth.add_user("alice.kim", "long enough")  # type: ignore[attr-defined]
    await login(client, "alice.kim")
    board = (await client.get("/?paged=me&state=open", headers=HTML)).text
    assert f'data-id="{paged}"' in board and f'data-id="{quiet}"' not in board
    assert '<a href="?paged=me&amp;state=open" aria-current="true">Paged to me</a>' in board
    await client._transport.app.state.auth.add_user("bob", "long enough")  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=client._transport, base_url="http://hub.test") as other:
        await login(other, "bob")
        board = (await other.get("/?paged=me", headers=HTML)).text
        assert f'data-id="{paged}"' not in board
        refused = (await other.get("/?paged=alice", headers=HTML)).text
    assert "only paged=me is known" in refused


async def login(client: httpx.AsyncClient, name: str, password: str = "long enough") -> None:
    page = await client.get("/login", headers=HTML)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "username": name, "password": password, "next": "/"}
    assert (await client.post("/login", data=form)).status_code == 303
