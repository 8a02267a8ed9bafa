"""Uptime Kuma's Webhook notification over HTTP, with the bodies Uptime Kuma posts (tests/fixtures/uptime_kuma),
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from alerthub.api.app import create_app
from alerthub.config.models import Config
from alerthub.hub import build_hub
from alerthub.sources.registry import check_integrations
from alerthub.store.database import Database
from support.clock import FakeClock
from support.webhooks import FIXTURES, alerts_of, fixture, store_counts

TOKEN = "kuma-notification-token"
SETTINGS: dict[str, Any] = {"integrations": {"uptime_kuma": {"webhook_token": TOKEN}}}
# What Uptime Kuma's HTTP client (axios 0.32) sends with the JSON preset, plus the Additional Header.
KUMA_HEADERS = {
    "Accept": "application/json, text/plain, */*",
    "Content-Type": "application/json",
    "User-Agent": "axios/0.32.0",
    "Authorization": f"Bearer {TOKEN}",
}
WEBSITE = {"monitor_id": "7", "service": "Example Website", "url": "https://www.example.com/health"}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(SETTINGS)


@asynccontextmanager
async def client_for(settings: dict[str, Any], db: Database, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        build_hub(Config.model_validate(settings), clock=clock, db=db), migrate=False, run_background=False
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        yield http


def as_sent(body: Any) -> bytes:
    """`JSON.stringify`: compact, non-ASCII (the emoji in `msg`) as UTF-8."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


async def post_kuma(client: httpx.AsyncClient, body: Any, **options: Any) -> httpx.Response:
    headers = options.pop("headers", KUMA_HEADERS)
    content = body if isinstance(body, bytes) else as_sent(body)
    return await client.post("/webhooks/uptime_kuma", content=content, headers=headers, **options)


def kuma(name: str) -> Any:
    return fixture("uptime_kuma", name)


def test_every_uptime_kuma_fixture_is_replayed_below() -> None:
    replayed = {"webhook_down.json", "webhook_up.json", "webhook_down_push.json", "webhook_test.json"}
    assert {p.name for p in (FIXTURES / "uptime_kuma").glob("*.json")} == replayed


@pytest.mark.parametrize(
    "how",
    [
        {},
        {"headers": KUMA_HEADERS | {"Authorization": ""}, "params": {"token": TOKEN}},
    ],
    ids=["additional-header-bearer", "url-token"],
)
async def test_down_fires_a_critical_alert_for_the_monitor(client: httpx.AsyncClient, how: dict[str, Any]) -> None:
    answer = await post_kuma(client, kuma("webhook_down.json"), **how)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["alerts"][0]["severity"]) == ("accepted", "critical")
    [alert] = await alerts_of(client, "uptime_kuma_down")
    assert (alert["state"], alert["severity"], alert["source"]) == ("firing", "critical", "uptime_kuma")
    assert alert["labels"] == WEBSITE
    assert alert["annotations"] == {
        "summary": "Example Website is down: Request failed with status code 503",
        "msg": "Request failed with status code 503",
        "time": "2026-08-22T14:04:20.123000+00:00",
        "local_time": "2026-08-22 16:04:20 (Europe/Berlin)",
        "monitor_type": "http",
        "monitor_url": "https://www.example.com/health",
    }


async def test_up_resolves_it_with_the_downtime_from_uptime_kumas_clock(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    assert (await post_kuma(client, kuma("webhook_down.json"))).status_code == 200
    clock.advance(60)
    answer = await post_kuma(client, kuma("webhook_up.json"))
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "uptime_kuma_down")
    assert (alert["state"], alert["labels"]) == ("resolved", WEBSITE)
    # time 14:10:50.456 − lastDownTime 14:04:20.123
    assert alert["annotations"]["summary"] == "Example Website is back up after 6m 30s"
    assert (alert["annotations"]["downtime"], alert["annotations"]["downtime_seconds"]) == ("6m 30s", "390")
    assert (alert["annotations"]["msg"], alert["annotations"]["ping"]) == ("200 - OK", "182 ms")


async def test_a_push_monitor_has_no_url_but_says_how_long_it_was_silent(client: httpx.AsyncClient) -> None:
    answer = await post_kuma(client, kuma("webhook_down_push.json"))
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "uptime_kuma_down")
    # Its url is Uptime Kuma's placeholder "https://": not a place.
    assert alert["labels"] == {"monitor_id": "12", "service": "Nightly backup"}
    assert alert["annotations"]["duration"] == "1h 1m"
    assert alert["annotations"]["summary"] == "Nightly backup is down: No heartbeat in the time window"
    assert "monitor_url" not in alert["annotations"]


async def test_a_port_monitor_is_placed_at_its_host_and_port(client: httpx.AsyncClient) -> None:
    body = kuma("webhook_down.json")
    body["monitor"] |= {"type": "port", "url": "https://", "hostname": "db.example.com", "port": 5432}
    assert (await post_kuma(client, body)).status_code == 200
    [alert] = await alerts_of(client, "uptime_kuma_down")
    assert alert["labels"]["url"] == "db.example.com:5432"


async def test_alerts_link_to_the_monitor_in_uptime_kuma_when_its_base_url_is_set(
    db: Database, clock: FakeClock
) -> None:
    settings = {"integrations": {"uptime_kuma": {"webhook_token": TOKEN, "base_url": "https://status.example.com/"}}}
    async with client_for(settings, db, clock) as client:
        assert (await post_kuma(client, kuma("webhook_down.json"))).status_code == 200
        [alert] = await alerts_of(client, "uptime_kuma_down")
    assert alert["annotations"]["url"] == "https://status.example.com/dashboard/7"


async def test_a_resend_and_a_renamed_monitor_count_on_the_same_alert(client: httpx.AsyncClient) -> None:
    body = kuma("webhook_down.json")
    assert (await post_kuma(client, body)).status_code == 200
    body["monitor"]["name"] = "Example Website (EU)"
    body["heartbeat"] |= {"important": False, "time": "2026-08-22 14:09:20.001"}
    assert (await post_kuma(client, body)).status_code == 200
    [alert] = await alerts_of(client, "uptime_kuma_down")
    assert (alert["state"], alert["count"], alert["labels"]["monitor_id"]) == ("firing", 2, "7")


async def test_the_test_button_is_accepted_and_stores_nothing(client: httpx.AsyncClient, db: Database) -> None:
    answer = await post_kuma(client, kuma("webhook_test.json"))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["alerts"]) == ("ignored", [])
    assert "test" in answer.json()["reason"]
    assert await store_counts(db) == (0, 0)


async def test_an_expiry_notice_without_a_monitor_is_ignored(client: httpx.AsyncClient, db: Database) -> None:
    notice = {"heartbeat": None, "monitor": None, "msg": "Domain name example.com will expire in 14 days"}
    answer = await post_kuma(client, notice)
    assert (answer.status_code, answer.json()["status"]) == (200, "ignored")
    assert await store_counts(db) == (0, 0)


async def test_pending_is_ignored_and_leaves_an_open_alert_firing(client: httpx.AsyncClient, db: Database) -> None:
    pending = kuma("webhook_down.json")
    pending["heartbeat"]["status"] = 2
    answer = await post_kuma(client, pending)
    assert (answer.status_code, answer.json()["status"]) == (200, "ignored")
    assert "PENDING" in answer.json()["reason"]
    assert await store_counts(db) == (0, 0)
    assert (await post_kuma(client, kuma("webhook_down.json"))).status_code == 200
    assert (await post_kuma(client, pending)).json()["status"] == "ignored"
    [alert] = await alerts_of(client, "uptime_kuma_down")
    assert alert["state"] == "firing"


async def test_maintenance_resolves_an_open_alert(client: httpx.AsyncClient) -> None:
    assert (await post_kuma(client, kuma("webhook_down.json"))).status_code == 200
    maintenance = kuma("webhook_down.json")
    maintenance["heartbeat"] |= {"status": 3, "msg": "Monitor under maintenance"}
    assert (await post_kuma(client, maintenance)).status_code == 200
    [alert] = await alerts_of(client, "uptime_kuma_down")
    assert (alert["state"], alert["annotations"]["summary"]) == ("resolved", "Example Website is under maintenance")


async def test_up_of_a_monitor_that_was_never_down_stores_nothing(client: httpx.AsyncClient, db: Database) -> None:
    assert (await post_kuma(client, kuma("webhook_up.json"))).status_code == 200
    assert await store_counts(db) == (0, 0)


@pytest.mark.parametrize(
    "headers",
    [
        KUMA_HEADERS | {"Authorization": ""},
        KUMA_HEADERS | {"Authorization": "Bearer wrong"},
        KUMA_HEADERS | {"Authorization": TOKEN},
    ],
    ids=["no-token", "wrong-token", "not-bearer"],
)
async def test_without_the_token_it_is_401_and_stores_nothing(
    client: httpx.AsyncClient, db: Database, headers: dict[str, str]
) -> None:
    answer = await post_kuma(client, kuma("webhook_down.json"), headers=headers)
    assert answer.status_code == 401
    assert await store_counts(db) == (0, 0)


async def test_it_is_refused_until_a_token_is_configured(db: Database, clock: FakeClock) -> None:
    async with client_for({}, db, clock) as client:
        answer = await post_kuma(client, kuma("webhook_down.json"))
    assert answer.status_code == 401
    assert "integrations.uptime_kuma.webhook_token" in answer.json()["detail"]
    assert await store_counts(db) == (0, 0)


async def test_the_form_data_preset_is_415_naming_the_json_preset(client: httpx.AsyncClient, db: Database) -> None:
    # Uptime Kuma's form-data preset: one field `data` holding the same JSON.
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = await client.post(
        "/webhooks/uptime_kuma", files={"data": (None, as_sent(kuma("webhook_down.json")))}, headers=auth
    )
    assert answer.status_code == 415, answer.text
    assert "'Preset - application/json'" in answer.json()["detail"]
    assert await store_counts(db) == (0, 0)


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        # A Custom Body is a string, which Uptime Kuma's axios labels as a form.
        ("application/x-www-form-urlencoded", b'{"title": "Example Website is down"}', 415),
        ("text/plain", b"Example Website is down", 415),
        # Custom JSON sent with a Content-Type header added by hand: not the preset's shape.
        ("application/json", b'{"title": "Example Website is down"}', 422),
        ("application/json", b'["Example Website"]', 422),
    ],
    ids=["custom-body", "text", "custom-json", "array"],
)
async def test_a_custom_body_is_refused_naming_the_json_preset(
    client: httpx.AsyncClient, db: Database, content_type: str, body: bytes, status: int
) -> None:
    answer = await post_kuma(client, body, headers=KUMA_HEADERS | {"Content-Type": content_type})
    assert answer.status_code == status, answer.text
    assert "'Preset - application/json'" in answer.json()["detail"]
    assert await store_counts(db) == (0, 0)


def _broken(path: str, value: Any) -> Any:
    body = kuma("webhook_down.json")
    part, key = path.split(".")
    body[part][key] = value
    return body


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        (b"{oops", 400, "body"),
        (_broken("heartbeat.status", "0"), 422, "body.heartbeat.status"),
        (_broken("heartbeat.status", 4), 422, "body.heartbeat.status"),
        (_broken("heartbeat.time", "yesterday"), 422, "body.heartbeat.time"),
        (_broken("heartbeat.ping", -1), 422, "body.heartbeat.ping"),
        (_broken("monitor.id", None), 422, "body.monitor.id"),
        (kuma("webhook_down.json") | {"monitor": None}, 422, "body.monitor"),
        (kuma("webhook_test.json") | {"msg": None}, 422, "body.msg"),
    ],
)
async def test_bad_bodies_are_4xx_naming_the_place(
    client: httpx.AsyncClient, db: Database, body: Any, status: int, loc: str
) -> None:
    answer = await post_kuma(client, body)
    assert answer.status_code == status, answer.text
    assert loc in [e["loc"] for e in answer.json()["errors"]]
    assert await store_counts(db) == (0, 0)


async def test_the_get_method_is_not_served(client: httpx.AsyncClient) -> None:
    answer = await client.get("/webhooks/uptime_kuma", params={"token": TOKEN, "msg": "[x] [🔴 Down] timeout"})
    assert answer.status_code == 405


async def test_its_rule_is_built_in_and_its_severity_can_be_overridden(db: Database, clock: FakeClock) -> None:
    settings = SETTINGS | {"rules": [{"name": "uptime_kuma_down", "severity": "high"}]}
    async with client_for(SETTINGS, db, clock) as client:
        rules = {r["name"]: r for r in (await client.get("/api/rules")).json()["rules"]}
    assert (rules["uptime_kuma_down"]["severity"], rules["uptime_kuma_down"]["builtin"]) == ("critical", True)
    async with client_for(settings, db, clock) as client:
        assert (await post_kuma(client, kuma("webhook_down.json"))).status_code == 200
        [alert] = await alerts_of(client, "uptime_kuma_down")
    assert alert["severity"] == "high"


def test_a_base_url_must_be_a_web_address() -> None:
    config = Config.model_validate({"integrations": {"uptime_kuma": {"base_url": "status.example.com"}}})
    [problem] = check_integrations(config)
    assert problem.location == "integrations.uptime_kuma.base_url" and "http(s) URL" in str(problem)
