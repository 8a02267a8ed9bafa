"""The webhook endpoints over HTTP with the real payloads in tests/fixtures, on SQLite and PostgreSQL."""

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
from alerthub.store.database import Database
from support.clock import FakeClock
from support.counting import counting
from support.webhooks import (
    FIXTURES,
    HETRIX_TOKEN,
    SENTRY_TOKEN,
    alerts_of,
    compact,
    fixture,
    fixture_bytes,
    post_sentry,
    resource_of,
    sentry_webhook_fixtures,
    sign,
    store_counts,
)

SETTINGS: dict[str, Any] = {
    "integrations": {
        "sentry": {"webhook_secret": "test-client-secret", "webhook_token": SENTRY_TOKEN, "org": "acme"},
        "hetrixtools": {"webhook_token": HETRIX_TOKEN},
        "generic": [
            {
                "name": "kuma",
                "token": "kuma-token",
                "rule_name": "kuma_monitor_down",
                "fields": {
                    "status": "heartbeat.status",
                    "value": "heartbeat.ping",
                    "summary": "msg",
                    "labels.monitor": "monitor.name",
                    "annotations.url": "monitor.url",
                },
            },
            {"name": "default", "token": "default-token"},
        ],
    }
}


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


# What a user expects from each Sentry fixture: (rule, labels, state, severity, annotations it must carry).
ISSUE_FRONT_END = {"project": "front-end", "issue_id": "1170820242"}
FIRES: dict[str, tuple[str, dict[str, str], str, dict[str, str]]] = {
    "issue.created.json": (
        "sentry_issue",
        ISSUE_FRONT_END,
        "high",
        {
            "title": "ReferenceError: blooopy is not defined",
            "culprit": "?(runner)",
            "level": "error",
            "count": "1",
            # permalink is null in webhooks: the link is built from integrations.sentry.org
            "url": "https://acme.sentry.io/issues/1170820242/",
        },
    ),
    "issue.created.captured_2020.json": (
        "sentry_issue",
        {"project": "zulip-integration-testing", "issue_id": "1635244907"},
        "high",
        {"title": "Exception: Custom exception!", "url": "https://acme.sentry.io/issues/1635244907/"},
    ),
    "event_alert.triggered.json": (
        "sentry_issue",
        {"project": "front-end", "issue_id": "1117540176"},
        "high",
        {
            "title": "ReferenceError: heck is not defined",
            "rule": "Very Important Alert Rule!",
            "url": "https://sentry.io/organizations/test-org/issues/1117540176/events/e4874d664c3540c1a32eab185f12c5ab/",
        },
    ),
    "error.created.json": ("sentry_issue", ISSUE_FRONT_END, "high", {"culprit": "?(runner)", "level": "error"}),
    "metric_alert.critical.json": (
        "sentry_metric_alert",
        {"alert_rule_id": "456", "incident": "789"},
        "critical",
        {"description": "5 events in the last 10 minutes", "rule": "metric alert"},
    ),
    "metric_alert.critical.with_alert_rule_action.json": (
        "sentry_metric_alert",
        {"alert_rule_id": "456", "incident": "789"},
        "critical",
        {"summary": "Critical: metric alert"},
    ),
}
# Fixtures that resolve an alert, and the action that opens it first (same payload, other action).
RESOLVES = {
    "issue.resolved.json": "unresolved",
    "issue.ignored.json": "unresolved",
    "metric_alert.resolved.json": "critical",
}
IGNORED = {
    "issue.assigned.json",
    "comment.created.json",
    "installation.created.json",
    "seer.pr_created.json",
    "seer.root_cause_completed.json",
    "seer.root_cause_started.json",
}
LEGACY = "legacy_webhook_plugin.json"


def test_the_expectations_cover_every_sentry_fixture() -> None:
    assert set(sentry_webhook_fixtures()) == set(FIRES) | set(RESOLVES) | IGNORED | {LEGACY}


@pytest.mark.parametrize("name", sorted(FIRES))
async def test_sentry_fixture_fires_the_alert_a_user_expects(client: httpx.AsyncClient, name: str) -> None:
    rule, labels, severity, annotations = FIRES[name]
    answer = await post_sentry(client, resource_of(name), fixture_bytes("sentry", name))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"
    [alert] = await alerts_of(client, rule)
    assert alert["state"] == "firing"
    assert alert["severity"] == severity
    assert {k: alert["labels"][k] for k in labels} == labels
    assert {k: alert["annotations"].get(k) for k in annotations} == annotations
    assert alert["source"] == "sentry"


@pytest.mark.parametrize("name", sorted(RESOLVES))
async def test_sentry_fixture_resolves_the_alert_it_names(client: httpx.AsyncClient, name: str) -> None:
    opener = fixture("sentry", name) | {"action": RESOLVES[name]}
    opened = await post_sentry(client, resource_of(name), compact(opener))
    assert opened.status_code == 200, opened.text
    rule = "sentry_metric_alert" if name.startswith("metric") else "sentry_issue"
    [alert] = await alerts_of(client, rule)
    assert alert["state"] == "firing"

    answer = await post_sentry(client, resource_of(name), fixture_bytes("sentry", name))
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, rule)
    assert alert["state"] == "resolved"
    if name == "metric_alert.resolved.json":
        assert alert["annotations"]["summary"] == "Resolved: Too many errors"
        assert alert["annotations"]["url"] == "https://sentry.io/organizations/baz/alerts/1/"


@pytest.mark.parametrize("name", sorted(IGNORED))
async def test_sentry_fixture_that_means_nothing_is_accepted_and_stores_nothing(
    client: httpx.AsyncClient, db: Database, name: str
) -> None:
    answer = await post_sentry(client, resource_of(name), fixture_bytes("sentry", name))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "ignored"
    assert answer.json()["reason"]
    assert await store_counts(db) == (0, 0)


async def test_a_sentry_webhook_is_stored_in_one_transaction_before_the_answer(
    client: httpx.AsyncClient, db: Database
) -> None:
    with counting(db) as counts:
        answer = await post_sentry(client, "issue", fixture_bytes("sentry", "issue.created.json"))
    assert answer.status_code == 200
    assert counts.commits == 1
    [stored] = answer.json()["alerts"]
    assert (stored["state"], stored["severity"]) == ("firing", "high")
    assert stored["alert_id"] == (await alerts_of(client, "sentry_issue"))[0]["id"]


async def test_legacy_plugin_post_with_its_url_token_fires(client: httpx.AsyncClient) -> None:
    body = fixture_bytes("sentry", LEGACY)
    answer = await client.post("/webhooks/sentry", params={"token": SENTRY_TOKEN}, content=body)
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "sentry_issue")
    assert alert["labels"] == {"project": "foo-live", "issue_id": "1972208801"}
    assert alert["severity"] == "high"
    # The plugin's `message` is empty for exceptions: the title comes from the event.
    assert alert["annotations"]["title"] == "ValueError: new sentry error."
    assert alert["annotations"]["rule"] == "Send a notification for new events"
    assert alert["annotations"]["url"].startswith("https://sentry.io/organizations/bar-foundation/issues/1972208801/")


async def test_a_new_event_of_an_open_issue_counts_on_the_same_alert(client: httpx.AsyncClient) -> None:
    for name in ("issue.created.json", "error.created.json"):
        assert (await post_sentry(client, resource_of(name), fixture_bytes("sentry", name))).status_code == 200
    [alert] = await alerts_of(client, "sentry_issue")
    assert alert["count"] == 2


async def test_an_issue_unresolved_in_sentry_reopens_its_alert(client: httpx.AsyncClient) -> None:
    created = fixture("sentry", "issue.created.json")
    for action in ("created", "resolved", "unresolved"):
        answer = await post_sentry(client, "issue", compact(created | {"action": action}))
        assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "sentry_issue")
    assert (alert["state"], alert["episode"]) == ("firing", 2)


@pytest.mark.parametrize(("level", "severity"), [("fatal", "critical"), ("warning", "warning"), ("info", "info")])
async def test_sentry_level_sets_the_severity(client: httpx.AsyncClient, level: str, severity: str) -> None:
    body = fixture("sentry", "issue.created.json")
    body["data"]["issue"]["level"] = level
    assert (await post_sentry(client, "issue", compact(body))).status_code == 200
    [alert] = await alerts_of(client, "sentry_issue")
    assert alert["severity"] == severity


async def test_web_url_is_preferred_over_a_built_link(client: httpx.AsyncClient) -> None:
    body = fixture("sentry", "issue.created.json")
    body["data"]["issue"]["web_url"] = "https://acme.sentry.io/issues/1170820242/?project=1"
    assert (await post_sentry(client, "issue", compact(body))).status_code == 200
    [alert] = await alerts_of(client, "sentry_issue")
    assert alert["annotations"]["url"] == "https://acme.sentry.io/issues/1170820242/?project=1"


async def test_a_compact_non_ascii_body_verifies_byte_for_byte(client: httpx.AsyncClient) -> None:
    # The research's test vector: Sentry escapes non-ASCII and uses compact separators.
    body = (
        b'{"action":"created","installation":{"uuid":"a8e5d37a-696c-4c54-adb5-b3f28d64c7de"},"data":{"comment":'
        b'"h\\u00e9llo","project_slug":"sentry","comment_id":1234,"issue_id":100,"timestamp":'
        b'"2022-03-02T21:51:44.118160Z"},"actor":{"type":"user","id":1,"name":"colleen"}}'
    )
    assert sign(body) == "fff3dbc341b4e2849faf0395fa9ac4b19d6887dcd7be3f827309535a785aa9ce"
    answer = await post_sentry(client, "comment", body)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param({"secret": "not-the-client-secret"}, id="wrong-secret"),
        pytest.param({"secret": None}, id="no-signature"),
        pytest.param({"Sentry_Hook_Signature": "0" * 64}, id="zero-signature"),
        pytest.param({"Sentry_Hook_Signature": "é".encode("latin-1")}, id="non-ascii-signature"),
    ],
)
async def test_a_missing_or_wrong_signature_is_401_and_stores_nothing(
    client: httpx.AsyncClient, db: Database, mangle: dict[str, Any]
) -> None:
    body = fixture_bytes("sentry", "issue.created.json")
    answer = await post_sentry(client, "issue", body, **mangle)
    assert answer.status_code == 401, answer.text
    assert "Sentry-Hook-Signature" in answer.json()["detail"]
    assert await store_counts(db) == (0, 0)


async def test_a_body_changed_after_signing_is_401(client: httpx.AsyncClient, db: Database) -> None:
    original = fixture_bytes("sentry", "issue.created.json")
    tampered = original.replace(b'"level": "error"', b'"level": "info"')
    assert tampered != original
    answer = await post_sentry(client, "issue", tampered, Sentry_Hook_Signature=sign(original))
    assert answer.status_code == 401
    assert await store_counts(db) == (0, 0)


async def test_without_a_configured_secret_signed_webhooks_need_the_url_token(db: Database, clock: FakeClock) -> None:
    settings = {"integrations": {"sentry": {"webhook_token": SENTRY_TOKEN}}}
    body = fixture_bytes("sentry", "issue.created.json")
    async with client_for(settings, db, clock) as client:
        refused = await post_sentry(client, "issue", body)
        assert refused.status_code == 401
        assert "integrations.sentry.webhook_secret" in refused.json()["detail"]
        assert await store_counts(db) == (0, 0)
        accepted = await client.post(
            "/webhooks/sentry",
            params={"token": SENTRY_TOKEN},
            content=body,
            headers={"Sentry-Hook-Resource": "issue", "Sentry-Hook-Signature": sign(body)},
        )
        assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize("params", [{}, {"token": "wrong"}], ids=["no-token", "wrong-token"])
async def test_legacy_plugin_without_the_right_token_is_401(
    client: httpx.AsyncClient, db: Database, params: dict[str, str]
) -> None:
    answer = await client.post("/webhooks/sentry", params=params, content=fixture_bytes("sentry", LEGACY))
    assert answer.status_code == 401
    assert await store_counts(db) == (0, 0)


async def test_legacy_plugin_is_refused_when_no_token_is_configured(db: Database, clock: FakeClock) -> None:
    async with client_for({}, db, clock) as client:
        answer = await client.post("/webhooks/sentry", params={"token": ""}, content=fixture_bytes("sentry", LEGACY))
    assert answer.status_code == 401
    assert "integrations.sentry.webhook_token" in answer.json()["detail"]


async def test_a_platform_body_without_its_headers_is_400_naming_the_header(client: httpx.AsyncClient) -> None:
    body = fixture_bytes("sentry", "issue.created.json")
    answer = await client.post("/webhooks/sentry", params={"token": SENTRY_TOKEN}, content=body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["loc"] == "headers.sentry-hook-resource"


@pytest.mark.parametrize(
    ("resource", "body", "status", "loc"),
    [
        ("issue", b"{not json", 400, "body"),
        ("issue", b"", 400, "body"),
        ("issue", b"[]", 422, "body"),
        (
            "issue",
            b'{"action":"created","installation":{},"data":{"issue":{"id":"1"}}}',
            422,
            "body.data.issue.project",
        ),
        ("metric_alert", b'{"action":"critical","installation":{},"data":{}}', 422, "body.data.metric_alert"),
        (
            "error",
            b'{"action":"created","installation":{},"data":{"error":{"title":"x"}}}',
            422,
            "body.data.error.issue_id",
        ),
    ],
)
async def test_bad_sentry_bodies_are_4xx_naming_the_place(
    client: httpx.AsyncClient, db: Database, resource: str, body: bytes, status: int, loc: str
) -> None:
    answer = await post_sentry(client, resource, body)
    assert answer.status_code == status, answer.text
    assert loc in [e["loc"] for e in answer.json()["errors"]]
    assert await store_counts(db) == (0, 0)


async def test_an_unknown_sentry_resource_is_accepted_and_ignored(client: httpx.AsyncClient) -> None:
    answer = await post_sentry(client, "preprod_artifact", compact({"action": "size_analysis_completed", "data": {}}))
    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored"


async def test_an_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    body = b'{"pad":"' + b"x" * (1024 * 1024) + b'"}'
    answer = await post_sentry(client, "issue", body)
    assert answer.status_code == 413


# ---------------------------------------------------------------- HetrixTools


async def post_hetrix(client: httpx.AsyncClient, body: bytes, **options: Any) -> httpx.Response:
    headers = options.pop("headers", {"Authorization": f"Bearer {HETRIX_TOKEN}", "Content-Type": "application/json"})
    return await client.post("/webhooks/hetrixtools", content=body, headers=headers, **options)


def test_every_hetrixtools_webhook_fixture_is_replayed_below() -> None:
    replayed = {"webhook_offline.json", "webhook_online.json", "webhook_blacklist.json"}
    assert {p.name for p in (FIXTURES / "hetrixtools").glob("webhook_*.json")} == replayed


@pytest.mark.parametrize(
    "how",
    [
        {"headers": {"Authorization": f"Bearer {HETRIX_TOKEN}", "Content-Type": "application/json"}},
        {"headers": {"Authorization": f"Bearer {HETRIX_TOKEN}"}},
        {"headers": {"Content-Type": "text/plain"}, "params": {"token": HETRIX_TOKEN}},
        {"headers": {}, "params": {"token": HETRIX_TOKEN}},
    ],
    ids=["bearer-json", "bearer-no-content-type", "url-token-text-plain", "url-token-no-content-type"],
)
async def test_hetrixtools_offline_fires_downtime_however_it_is_sent(
    client: httpx.AsyncClient, how: dict[str, Any]
) -> None:
    answer = await post_hetrix(client, fixture_bytes("hetrixtools", "webhook_offline.json"), **how)
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "hetrixtools_downtime")
    assert (alert["state"], alert["severity"]) == ("firing", "critical")
    assert alert["labels"] == {
        "monitor_id": "3f9c2a7e5b1d4c8e9a0b6d2f4e8c1a7b",
        "service": "Example Website",
        "url": "https://www.example.com/",
    }
    assert "New York: http code 503" in alert["annotations"]["errors"]
    assert "London: keyword not found" in alert["annotations"]["summary"]


@pytest.mark.parametrize("errors", [[], {}, None], ids=["php-empty-array", "empty-object", "absent"])
async def test_hetrixtools_offline_without_location_errors_still_fires(client: httpx.AsyncClient, errors: Any) -> None:
    body = fixture("hetrixtools", "webhook_offline.json")
    if errors is None:
        del body["monitor_errors"]
    else:
        body["monitor_errors"] = errors
    answer = await post_hetrix(client, json.dumps(body).encode())
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "hetrixtools_downtime")
    assert alert["annotations"]["summary"] == "Example Website is down"


async def test_hetrixtools_online_resolves_with_the_downtime_duration(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    assert (await post_hetrix(client, fixture_bytes("hetrixtools", "webhook_offline.json"))).status_code == 200
    clock.advance(400)
    answer = await post_hetrix(client, fixture_bytes("hetrixtools", "webhook_online.json"))
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "hetrixtools_downtime")
    assert alert["state"] == "resolved"
    # HetrixTools' own timestamps: offline 1735732800, online 1735733160.
    assert alert["annotations"]["downtime"] == "6m"
    assert alert["annotations"]["downtime_seconds"] == "360"
    assert alert["annotations"]["summary"] == "Example Website is back up after 6m"


async def test_hetrixtools_online_of_an_unknown_monitor_stores_nothing(client: httpx.AsyncClient, db: Database) -> None:
    body = fixture("hetrixtools", "webhook_online.json") | {"monitor_errors": []}
    answer = await post_hetrix(client, json.dumps(body).encode())
    assert answer.status_code == 200, answer.text
    assert await store_counts(db) == (0, 0)


async def test_hetrixtools_blacklist_fires_per_listed_monitor_and_clears_at_zero(client: httpx.AsyncClient) -> None:
    answer = await post_hetrix(client, fixture_bytes("hetrixtools", "webhook_blacklist.json"))
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "hetrixtools_blacklist")
    assert alert["labels"] == {"monitor": "203.0.113.10"}
    assert (alert["state"], alert["value"]) == ("firing", 2.0)
    assert alert["annotations"]["listed_on"] == "zen.spamhaus.org, b.barracudacentral.org"
    assert alert["annotations"]["label"] == "mail relay"

    delisted = [{"monitor": "203.0.113.10", "lebel": "mail relay", "blacklisted_before": "2", "blacklisted_now": "0",
                 "blacklisted_on": None, "links": {}}]  # fmt: skip
    assert (await post_hetrix(client, json.dumps(delisted).encode())).status_code == 200
    [alert] = await alerts_of(client, "hetrixtools_blacklist")
    assert alert["state"] == "resolved"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": HETRIX_TOKEN}],
    ids=["no-token", "wrong-token", "not-bearer"],
)
async def test_hetrixtools_without_the_token_is_401_and_stores_nothing(
    client: httpx.AsyncClient, db: Database, headers: dict[str, str]
) -> None:
    answer = await post_hetrix(client, fixture_bytes("hetrixtools", "webhook_offline.json"), headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert await store_counts(db) == (0, 0)


async def test_hetrixtools_is_refused_until_a_token_is_configured(db: Database, clock: FakeClock) -> None:
    async with client_for({}, db, clock) as client:
        answer = await post_hetrix(client, fixture_bytes("hetrixtools", "webhook_offline.json"))
    assert answer.status_code == 401
    assert "integrations.hetrixtools.webhook_token" in answer.json()["detail"]
    assert await store_counts(db) == (0, 0)


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        (b"{oops", 400, "body"),
        (b'"offline"', 422, "body"),
        (b'{"monitor_id":"abc","monitor_status":"paused"}', 422, "body.monitor_status"),
        (b'{"monitor_status":"offline"}', 422, "body.monitor_id"),
        (b'[{"monitor":"203.0.113.10","blacklisted_now":"two"}]', 422, "body[0].blacklisted_now"),
    ],
)
async def test_bad_hetrixtools_bodies_are_4xx_naming_the_place(
    client: httpx.AsyncClient, db: Database, body: bytes, status: int, loc: str
) -> None:
    answer = await post_hetrix(client, body)
    assert answer.status_code == status, answer.text
    assert loc in [e["loc"] for e in answer.json()["errors"]]
    assert await store_counts(db) == (0, 0)


# ---------------------------------------------------------------- generic


async def test_generic_endpoint_maps_fields_and_resolves(client: httpx.AsyncClient) -> None:
    down = {
        "heartbeat": {"status": "down", "ping": None},
        "msg": "timeout",
        "monitor": {"name": "shop", "url": "https://shop.example"},
    }
    answer = await client.post("/webhooks/generic/kuma", json=down, headers={"Authorization": "Bearer kuma-token"})
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "kuma_monitor_down")
    assert (alert["state"], alert["labels"]) == ("firing", {"monitor": "shop"})
    assert alert["annotations"] == {"summary": "timeout", "url": "https://shop.example"}
    up = {"heartbeat": {"status": "up", "ping": 42}, "msg": "ok", "monitor": {"name": "shop"}}
    assert (await client.post("/webhooks/generic/kuma", params={"token": "kuma-token"}, json=up)).status_code == 200
    [alert] = await alerts_of(client, "kuma_monitor_down")
    assert alert["state"] == "resolved"


async def test_generic_default_endpoint_reads_the_plain_shape(client: httpx.AsyncClient) -> None:
    body = {"rule_name": "backup_failed", "severity": "critical", "labels": {"host": "db1"}, "summary": "exit 2"}
    answer = await client.post("/webhooks/generic", json=body, headers={"Authorization": "Bearer default-token"})
    assert answer.status_code == 200, answer.text
    [alert] = await alerts_of(client, "backup_failed")
    assert (alert["severity"], alert["labels"], alert["source"]) == ("critical", {"host": "db1"}, "generic")


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/webhooks/generic/kuma", {}, 401),
        ("/webhooks/generic/kuma", {"Authorization": "Bearer default-token"}, 401),
        ("/webhooks/generic/nope", {"Authorization": "Bearer kuma-token"}, 404),
        ("/webhooks/generic/bad%20name", {}, 422),
    ],
)
async def test_generic_refuses_wrong_tokens_and_unknown_endpoints(
    client: httpx.AsyncClient, db: Database, path: str, headers: dict[str, str], status: int
) -> None:
    answer = await client.post(path, json={"msg": "x"}, headers=headers)
    assert answer.status_code == status, answer.text
    assert await store_counts(db) == (0, 0)


async def test_generic_bad_value_is_422_naming_the_path(client: httpx.AsyncClient, db: Database) -> None:
    body = {"heartbeat": {"status": "down", "ping": "fast"}, "monitor": {"name": "shop"}}
    answer = await client.post("/webhooks/generic/kuma", json=body, headers={"Authorization": "Bearer kuma-token"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == "body.heartbeat.ping"
    assert await store_counts(db) == (0, 0)
