"""The dashboard's pages as a browser receives them: every page renders, outside text stays text, the
triage order and filters hold, both languages work, and the overview's numbers come from the history."""

from __future__ import annotations

import re

import httpx
import pytest

from alerthub.config.models import Config, RuleConfig
from alerthub.domain.severity import Severity
from support.clock import FakeClock

HTML = {"Accept": "text/html"}
PAGES = ["/", "/silences", "/rules", "/channels", "/monitors", "/notifications", "/overview", "/login"]


async def send(client: httpx.AsyncClient, rule: str, value: float, info: str = "", **labels: str) -> int:
    body = {"rule_name": rule, "metric_data": {"metric_value": value, "additional_info": info}, "labels": labels}
    answer = await client.post("/api/alerts/send", json=body)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["alert_id"])


@pytest.fixture
def config() -> Config:
    steps = {Severity.WARNING: 80, Severity.HIGH: 90, Severity.CRITICAL: 95}
    return Config(
        rules=[RuleConfig(name="disk_usage", thresholds=steps), RuleConfig(name="cpu_usage", thresholds=steps)]
    )


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]


async def test_every_page_renders_with_a_strict_content_security_policy(client: httpx.AsyncClient) -> None:
    alert_id = await send(client, "system_memory_high", 95.5, "memory", host="web-1")
    for path in [*PAGES, f"/alerts/{alert_id}", f"/silences?alert={alert_id}"]:
        answer = await client.get(path, headers=HTML)
        assert answer.status_code == 200, path
        assert "script-src 'self'" in answer.headers["content-security-policy"], path
        assert answer.headers["x-frame-options"] == "DENY"
        assert '<link rel="stylesheet" href="/static/app.css' in answer.text
    assert (await client.get("/alerts/999", headers=HTML)).status_code == 404
    assert (await client.get("/static/app.js")).status_code == 200


async def test_outside_text_is_escaped_everywhere(client: httpx.AsyncClient) -> None:
    evil = '<script>alert("x")</script>'
    alert_id = await send(client, "system_memory_high", 95.5, evil, host='"><img src=x onerror=alert(1)>')
    for path in ("/", f"/alerts/{alert_id}", f"/silences?alert={alert_id}"):
        html = (await client.get(path, headers=HTML)).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path


async def test_only_http_links_become_links(client: httpx.AsyncClient) -> None:
    alert = {
        "labels": {"alertname": "HighLatency", "service": "api"},
        "annotations": {"runbook_url": "javascript:alert(1)", "dashboard": "https://grafana.example/d/1?x=1&y=2"},
    }
    assert (await client.post("/api/v2/alerts", json=[alert])).status_code == 200
    [listed] = (await client.get("/api/alerts")).json()["alerts"]
    html = (await client.get(f"/alerts/{listed['id']}", headers=HTML)).text
    assert 'href="javascript:' not in html
    assert 'href="https://grafana.example/d/1?x=1&amp;y=2"' in html and 'rel="noopener noreferrer"' in html


async def test_open_alerts_come_first_by_severity(client: httpx.AsyncClient, clock: FakeClock) -> None:
    warning = await send(client, "disk_usage", 86, host="a")  # warning threshold is 85
    clock.advance(60)
    critical = await send(client, "disk_usage", 99, host="b")
    clock.advance(60)
    old_critical = await send(client, "disk_usage", 99, host="c")
    await client.post(f"/api/alerts/{old_critical}/resolve", json={})
    clock.advance(60)
    high = await send(client, "disk_usage", 91, host="d")
    html = (await client.get("/", headers=HTML)).text
    assert row_ids(html) == [critical, high, warning, old_critical]


async def test_filters(client: httpx.AsyncClient) -> None:
    a = await send(client, "disk_usage", 99, "disk is fine, memory is not", host="db-1", service="db")
    b = await send(client, "cpu_usage", 99, "cpu", host="web-1", service="web")
    await client.post(f"/api/alerts/{b}/resolve", json={})
    assert row_ids((await client.get("/?state=open", headers=HTML)).text) == [a]
    assert row_ids((await client.get("/?state=resolved", headers=HTML)).text) == [b]
    assert row_ids((await client.get("/?q=MEMORY+is", headers=HTML)).text) == [a]
    assert row_ids((await client.get("/?q=100%25", headers=HTML)).text) == []  # % is a character, not a wildcard
    assert row_ids((await client.get("/?label=service:web", headers=HTML)).text) == [b]
    assert row_ids((await client.get("/?rule=cpu_usage", headers=HTML)).text) == [b]
    assert row_ids((await client.get("/?source=api&severity=critical", headers=HTML)).text) == [a, b]
    bad = await client.get("/?severity=apocalyptic", headers=HTML)
    assert bad.status_code == 200 and "unknown severity &#39;apocalyptic&#39;" in bad.text


async def test_korean_by_accept_language_and_by_the_switch(client: httpx.AsyncClient) -> None:
    korean = await client.get("/", headers={**HTML, "Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"})
    assert '<html lang="ko">' in korean.text and ">알림" in korean.text and "발생한 알림이 없습니다" in korean.text
    english = await client.get("/", headers={**HTML, "Accept-Language": "en-US,ko;q=0.3"})
    assert '<html lang="en">' in english.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', english.text).group(1)  # type: ignore[union-attr]
    switched = await client.post("/lang", data={"csrf": csrf, "lang": "ko", "next": "/rules"})
    assert switched.status_code == 303 and switched.headers["location"] == "/rules"
    assert '<html lang="ko">' in (await client.get("/rules", headers={**HTML, "Accept-Language": "en"})).text
    refused = await client.post("/lang", data={"csrf": "forged", "lang": "en", "next": "/"})
    assert refused.status_code == 403


async def test_alert_detail_shows_thresholds_history_and_raw_payload(client: httpx.AsyncClient) -> None:
    alert_id = await send(client, "disk_usage", 91, "memory", host="web-1")
    await client.post(f"/api/alerts/{alert_id}/ack", json={"by": "kim"})
    html = (await client.get(f"/alerts/{alert_id}", headers=HTML)).text
    assert re.search(r'<tr class="crossed"><th><span class="sev sev-high">', html), "the crossed threshold stands out"
    assert re.search(r'<tr class=""><th><span class="sev sev-critical">', html), "critical was not crossed"
    assert "state-acknowledged" in html and "user:kim" in html
    assert "<summary>Raw payload</summary>" in html and "&#34;metric_value&#34;: 91" in html


async def test_silence_form_is_prefilled_from_the_alert(client: httpx.AsyncClient) -> None:
    alert_id = await send(client, "disk_usage", 91, "memory", host="web-1")
    html = (await client.get(f"/silences?alert={alert_id}", headers=HTML)).text
    names = re.findall(r'name="m_name" value="([^"]*)"', html)
    values = re.findall(r'name="m_value" value="([^"]*)"', html)
    assert list(zip(names, values, strict=True)) == [("alertname", "disk_usage"), ("host", "web-1")]
    assert '<option value="7200" selected>' in html and 'name="comment" value="memory"' in html


async def test_overview_counts_and_mean_times(client: httpx.AsyncClient, clock: FakeClock) -> None:
    first = await send(client, "disk_usage", 91, host="a")
    clock.advance(60)
    await client.post(f"/api/alerts/{first}/ack", json={})
    clock.advance(540)
    await client.post(f"/api/alerts/{first}/resolve", json={})
    second = await send(client, "cpu_usage", 99, host="b")
    clock.advance(180)
    await client.post(f"/api/alerts/{second}/ack", json={})
    await send(client, "cpu_usage", 99, host="c")
    html = (await client.get("/overview", headers=HTML)).text
    kpis = re.findall(r'<span class="v">([^<]*)</span>', html)
    assert kpis == ["3", "2m", "10m", "2"], "fired, MTTA (60 s and 180 s), MTTR (600 s), open now"
    assert html.count('<rect class="sev-critical"') == 1 and html.count('<rect class="sev-high"') == 1
    rules = re.findall(r'<td><a href="/\?rule=([^"]+)">', html)
    assert rules == ["cpu_usage", "disk_usage"], "noisiest first"


async def test_read_only_users_see_no_buttons_they_cannot_use(client: httpx.AsyncClient) -> None:
    alert_id = await send(client, "disk_usage", 99, "full", host="a")
    auth = client._transport.app.state.auth  # type: ignore[attr-defined]
    await auth.add_user("viewer", "long enough", admin=False)
    page = await client.get("/login", headers=HTML)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf": csrf, "username": "viewer", "password": "long enough", "next": "/"}
    assert (await client.post("/login", data=form)).status_code == 303
    board = (await client.get("/", headers=HTML)).text
    assert row_ids(board) == [alert_id] and 'data-can-act="0"' in board
    assert 'data-action="ack"' not in board and "/silences?alert=" not in board
    assert 'id="silence-form"' not in (await client.get("/silences", headers=HTML)).text
    csrf = re.search(r'data-csrf="([^"]+)"', board).group(1)  # type: ignore[union-attr]
    refused = await client.post(f"/api/alerts/{alert_id}/ack", json={}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
