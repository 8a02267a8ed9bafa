"""One-click action links, as a reader of the message meets them: opening the link changes nothing,
the button acts without a login and the history says who; a tampered link is 403, an expired one 410,
one that no longer applies 409 — each a page that says so."""

from __future__ import annotations

import httpx
import pytest

from alerthub.config.models import Config, RuleConfig
from alerthub.domain.action_token import Action, ActionGrant
from alerthub.domain.notification import NotificationStatus
from alerthub.domain.severity import Severity
from alerthub.hub import Hub
from alerthub.services.actions import ActionService
from alerthub.store import outbox
from alerthub.store.outbox import PAGE, NewNotification
from support.channel_samples import payload, snapshot
from support.clock import FakeClock

HTML = {"Accept": "text/html"}


@pytest.fixture
def config() -> Config:
    return Config(rules=[RuleConfig(name="disk_usage", thresholds={Severity.CRITICAL: 95})])


async def fire(client: httpx.AsyncClient, host: str = "web-1") -> int:
    client.cookies.clear()  # a sender, not the browser that opened a link page
    body = {
        "rule_name": "disk_usage",
        "metric_data": {"metric_value": 97, "additional_info": "disk"},
        "labels": {"host": host},
    }
    answer = await client.post("/api/alerts/send", json=body)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["alert_id"])


async def link(client: httpx.AsyncClient, alert_id: int, action: Action, clock: FakeClock, ttl: int = 86400) -> str:
    service: ActionService = client._transport.app.state.actions  # type: ignore[attr-defined]
    alert = (await service.alerts.get(alert_id)).alert
    grant = ActionGrant(alert_id, alert.episode, action, "kim", int(clock.now.timestamp()) + ttl)
    return f"/actions/{action.value}/{(await service.codec()).encode(grant)}"


async def state(client: httpx.AsyncClient, alert_id: int) -> str:
    return str((await client.get(f"/api/alerts/{alert_id}")).json()["state"])


async def test_opening_a_link_changes_nothing_and_the_button_acknowledges(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    alert_id = await fire(client)
    url = await link(client, alert_id, Action.ACK, clock)
    for _ in range(3):  # a mail scanner, a chat preview, the reader
        page = await client.get(url, headers=HTML)
        assert page.status_code == 200 and '<form method="post">' in page.text
        assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert await state(client, alert_id) == "firing"
    done = await client.post(url, headers=HTML)
    assert done.status_code == 200 and "Acknowledged" in done.text
    assert await state(client, alert_id) == "acknowledged"
    history = (await client.get(f"/api/alerts/{alert_id}")).json()["history"]
    assert any(event["actor"] == "user:kim via link" for event in history)
    again = await client.post(url, headers=HTML)
    assert again.status_code == 409 and "already acknowledged by kim via link" in again.text


async def test_resolve_and_silence_from_links(client: httpx.AsyncClient, clock: FakeClock) -> None:
    first, second = await fire(client, "web-1"), await fire(client, "web-2")
    assert (await client.post(await link(client, first, Action.RESOLVE, clock))).status_code == 200
    assert await state(client, first) == "resolved"
    assert (await client.post(await link(client, second, Action.SILENCE, clock))).status_code == 200
    (silence,) = (await client.get("/api/silences")).json()["silences"]
    assert silence["createdBy"] == "kim via link"
    assert {"name": "host", "value": "web-2", "isRegex": False, "isEqual": True} in silence["matchers"]
    assert silence["endsAt"].startswith("2026-11-27T10:00:00")  # the FakeClock's 09:00, plus an hour


async def test_a_tampered_link_is_refused_with_403(client: httpx.AsyncClient, clock: FakeClock) -> None:
    alert_id = await fire(client)
    url = await link(client, alert_id, Action.ACK, clock)
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    for method in ("GET", "POST"):
        page = await client.request(method, tampered, headers=HTML)
        assert page.status_code == 403 and "cannot be used" in page.text
    resolve_path_ack_token = url.replace("/actions/ack/", "/actions/resolve/")
    assert (await client.post(resolve_path_ack_token)).status_code == 403
    assert await state(client, alert_id) == "firing"


async def test_an_expired_link_is_gone(client: httpx.AsyncClient, clock: FakeClock) -> None:
    alert_id = await fire(client)
    url = await link(client, alert_id, Action.ACK, clock, ttl=60)
    clock.advance(61)
    page = await client.post(url, headers=HTML)
    assert page.status_code == 410 and "expired" in page.text
    assert await state(client, alert_id) == "firing"


async def test_a_link_from_an_earlier_episode_no_longer_applies(client: httpx.AsyncClient, clock: FakeClock) -> None:
    alert_id = await fire(client)
    url = await link(client, alert_id, Action.ACK, clock)
    await client.post(await link(client, alert_id, Action.RESOLVE, clock))
    assert await fire(client) == alert_id  # fires again: a new episode of the same alert
    page = await client.post(url, headers=HTML)
    assert page.status_code == 409 and "earlier episode" in page.text
    assert await state(client, alert_id) == "firing"


async def test_links_work_without_a_login_once_access_control_is_on(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    alert_id = await fire(client)
    url = await link(client, alert_id, Action.ACK, clock)
    await client._transport.app.state.auth.add_user("alice", "long enough")  # type: ignore[attr-defined]
    assert (await client.get("/api/alerts", headers={"Accept": "application/json"})).status_code == 401
    page = await client.post(url, headers=HTML)
    assert page.status_code == 200 and "Acknowledged" in page.text


async def test_a_cross_site_post_is_refused(client: httpx.AsyncClient, clock: FakeClock) -> None:
    alert_id = await fire(client)
    url = await link(client, alert_id, Action.ACK, clock)
    page = await client.post(url, headers={**HTML, "Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 403
    assert await state(client, alert_id) == "firing"


async def test_a_pages_acknowledge_all_link_shows_its_alerts_and_acknowledges_them(
    client: httpx.AsyncClient, hub: Hub, clock: FakeClock
) -> None:
    ids = [await fire(client, f"web-{i}") for i in range(3)]
    sent = payload(*(snapshot(alert_id) for alert_id in ids))
    page = NewNotification(
        "page-1",
        "pages:ops",
        "ops",
        "discord",
        PAGE,
        NotificationStatus.SENT,
        sent,
        clock.now,
        clock.now,
        "",
        tuple(ids),
    )
    async with hub.db.write() as conn:
        [page_id] = await outbox.enqueue(conn, [page])
    service: ActionService = client._transport.app.state.actions  # type: ignore[attr-defined]
    grant = ActionGrant(0, 0, Action.ACK_ALL, "kim", int(clock.now.timestamp()) + 3600, message=page_id)
    url = f"/actions/ack_all/{(await service.codec()).encode(grant)}"
    await hub.alerts.resolve(ids[2], "lee")  # resolved since the page: not acknowledged, not listed

    shown = await client.get(url, headers=HTML)
    assert shown.status_code == 200 and "Acknowledge every alert of this message" in shown.text
    assert f"#{ids[0]}" in shown.text and f"#{ids[1]}" in shown.text and f"#{ids[2]}" not in shown.text
    assert [await state(client, i) for i in ids] == ["firing", "firing", "resolved"]
    done = await client.post(url, headers=HTML)
    assert done.status_code == 200 and "Acknowledged" in done.text
    assert [await state(client, i) for i in ids] == ["acknowledged", "acknowledged", "resolved"]
    again = await client.post(url, headers=HTML)
    assert again.status_code == 409 and "every alert this message listed is already acknowledged" in again.text
