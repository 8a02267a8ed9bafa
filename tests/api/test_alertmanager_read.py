"""Alertmanager's API v2 read side: every answer is valid for Alertmanager's own OpenAPI definition
(tests/fixtures/alertmanager/openapi.yaml), shows alerts from every source with their rule as `alertname`,
and works out silenced / inhibited / muted / unprocessed as Alertmanager does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import yaml

from alerthub.config.models import Config
from alerthub.hub import Hub
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope
from support.alertmanager_spec import assert_valid
from support.clock import FakeClock
from support.pipeline import dispatcher
from support.webhooks import HETRIX_TOKEN, SENTRY_SECRET, SENTRY_TOKEN, fixture_bytes, post_sentry

HOOK_SECRET = "https://hooks.example.org/T000/very-secret-path"
SETTINGS: dict[str, Any] = {
    "channels": [
        {"name": "ops-hook", "type": "webhook", "url": HOOK_SECRET, "headers": {"Authorization": "Bearer hdr-secret"}},
        {"name": "db-hook", "type": "webhook", "url": "http://127.0.0.1:9/db"},
    ],
    "receivers": [{"name": "ops", "channels": ["ops-hook"]}, {"name": "db-team", "channels": ["db-hook"]}],
    "rules": [{"name": "slow_rule", "thresholds": {"warning": 1}, "for": "5m"}],
    "route": {
        "receiver": "ops",
        "group_by": ["alertname", "service"],
        "group_wait": "0s",
        "routes": [
            {"matchers": ['service="database"'], "receiver": "db-team"},
            {"matchers": ['service="batch"'], "receiver": "ops", "mute_time_intervals": ["always"]},
        ],
    },
    "inhibit_rules": [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'], "equal": ["service"]}
    ],
    "time_intervals": [{"name": "always", "time_intervals": [{}]}],
    "integrations": {
        "sentry": {"webhook_secret": SENTRY_SECRET, "webhook_token": SENTRY_TOKEN, "org": "acme"},
        "hetrixtools": {"webhook_token": HETRIX_TOKEN},
    },
    "storage": {"url": "postgresql://alerthub:db-password@db.internal:5432/alerthub"},
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(SETTINGS)


async def am_post(client: httpx.AsyncClient, *alerts: dict[str, Any]) -> None:
    answer = await client.post("/api/v2/alerts", json=list(alerts))
    assert answer.status_code == 200, answer.text


async def get_alerts(client: httpx.AsyncClient, **params: Any) -> dict[str, dict[str, Any]]:
    answer = await client.get("/api/v2/alerts", params=params)
    assert answer.status_code == 200, answer.text
    assert_valid(answer.json(), "/alerts")
    return {a["labels"]["alertname"]: a for a in answer.json()}


async def test_alerts_from_every_source_with_their_rule_as_alertname(client: httpx.AsyncClient) -> None:
    seed = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 97}, "labels": {"service": "web"}}
    sent = await client.post("/api/alerts/send", json=seed)
    assert sent.status_code == 202
    hetrix = {"Authorization": f"Bearer {HETRIX_TOKEN}", "Content-Type": "application/json"}
    offline = fixture_bytes("hetrixtools", "webhook_offline.json")
    assert (await client.post("/webhooks/hetrixtools", content=offline, headers=hetrix)).status_code == 200
    sentry = await post_sentry(client, "issue", fixture_bytes("sentry", "issue.created.json"))
    assert sentry.status_code in (200, 202), sentry.text
    disk = {"alertname": "DiskFull", "service": "database", "severity": "warning"}
    await am_post(client, {"labels": disk, "annotations": {"summary": "92%"}, "generatorURL": "http://prom:9090/g"})

    found = await get_alerts(client)
    assert {"system_memory_high", "hetrixtools_downtime", "DiskFull"} <= set(found)
    assert any(name.startswith("sentry") for name in found), sorted(found)
    memory = found["system_memory_high"]
    assert memory["labels"]["service"] == "web" and memory["receivers"] == [{"name": "ops"}]
    assert memory["generatorURL"] == f"http://127.0.0.1:8000/alerts/{sent.json()['alert_id']}"  # its page here
    assert memory["status"] == {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []}
    assert found["hetrixtools_downtime"]["labels"]["monitor_id"] == "3f9c2a7e5b1d4c8e9a0b6d2f4e8c1a7b"
    assert found["DiskFull"]["receivers"] == [{"name": "db-team"}]
    assert found["DiskFull"]["generatorURL"] == "http://prom:9090/g"
    assert found["DiskFull"]["annotations"] == {"summary": "92%"}
    assert found["DiskFull"]["endsAt"] > found["DiskFull"]["startsAt"]  # Alertmanager's resolve timeout
    assert memory["endsAt"] == "0001-01-01T00:00:00Z"  # no known end


async def test_only_open_alerts_are_shown(client: httpx.AsyncClient) -> None:
    await am_post(client, {"labels": {"alertname": "Gone"}}, {"labels": {"alertname": "Here"}})
    await am_post(client, {"labels": {"alertname": "Gone"}, "endsAt": "2026-11-27T08:00:00Z"})
    assert set(await get_alerts(client)) == {"Here"}


async def test_a_silenced_alert_is_suppressed_with_silenced_by(client: httpx.AsyncClient) -> None:
    await am_post(client, {"labels": {"alertname": "Noisy", "service": "web"}}, {"labels": {"alertname": "Calm"}})
    silence = {
        "matchers": [{"name": "alertname", "value": "Noisy", "isRegex": False}],
        "startsAt": "2026-11-27T09:00:00Z",
        "endsAt": "2026-11-27T10:00:00Z",
        "createdBy": "ops",
        "comment": "known",
    }
    silence_id = (await client.post("/api/v2/silences", json=silence)).json()["silenceID"]
    noisy = (await get_alerts(client))["Noisy"]
    assert noisy["status"] == {"state": "suppressed", "silencedBy": [silence_id], "inhibitedBy": [], "mutedBy": []}
    # amtool's default query: active only, neither silenced nor inhibited.
    assert set(await get_alerts(client, silenced="false", inhibited="false", unprocessed="false")) == {"Calm"}
    assert set(await get_alerts(client, active="false")) == {"Noisy"}


async def test_an_inhibited_alert_names_the_fingerprint_that_inhibits_it(client: httpx.AsyncClient) -> None:
    critical = {"alertname": "ApiDown", "service": "api", "severity": "critical"}
    warning = {"alertname": "ApiSlow", "service": "api", "severity": "warning"}
    other = {"alertname": "WebSlow", "service": "web", "severity": "warning"}
    await am_post(client, {"labels": critical}, {"labels": warning}, {"labels": other})
    found = await get_alerts(client)
    assert found["ApiSlow"]["status"]["state"] == "suppressed"
    assert found["ApiSlow"]["status"]["inhibitedBy"] == [found["ApiDown"]["fingerprint"]]
    assert found["WebSlow"]["status"]["inhibitedBy"] == []
    assert set(await get_alerts(client, inhibited="false")) == {"ApiDown", "WebSlow"}


async def test_a_pending_alert_is_unprocessed(client: httpx.AsyncClient) -> None:
    slow = {"rule_name": "slow_rule", "metric_data": {"metric_value": 5}}
    assert (await client.post("/api/alerts/send", json=slow)).json()["state"] == "pending"
    await am_post(client, {"labels": {"alertname": "Now"}})
    assert (await get_alerts(client))["slow_rule"]["status"]["state"] == "unprocessed"
    assert set(await get_alerts(client, unprocessed="false")) == {"Now"}


async def test_time_muted_alerts_name_the_interval(client: httpx.AsyncClient, hub: Hub) -> None:
    await am_post(client, {"labels": {"alertname": "Nightly", "service": "batch"}})
    await dispatcher(hub).run_once()
    nightly = (await get_alerts(client))["Nightly"]
    assert nightly["status"] == {"state": "suppressed", "silencedBy": [], "inhibitedBy": [], "mutedBy": ["always"]}


async def test_filters_and_receiver_regex(client: httpx.AsyncClient) -> None:
    await am_post(
        client,
        {"labels": {"alertname": "DiskFull", "service": "database"}},
        {"labels": {"alertname": "DiskFull", "service": "web"}},
        {"labels": {"alertname": "CpuHigh", "service": "web"}},
    )
    answer = await client.get("/api/v2/alerts", params={"filter": ["alertname=DiskFull"]})
    assert sorted(a["labels"]["service"] for a in answer.json()) == ["database", "web"]
    both = await client.get("/api/v2/alerts", params={"filter": ['alertname=~"Disk.*"', "service!=web"]})
    assert [a["labels"]["service"] for a in both.json()] == ["database"]
    missing_label = await client.get("/api/v2/alerts", params={"filter": ['team=""']})
    assert len(missing_label.json()) == 3  # as Alertmanager: `name=""` matches an alert without the label
    assert [a["labels"]["service"] for a in (await client.get("/api/v2/alerts?receiver=db-.*")).json()] == ["database"]
    assert (await client.get("/api/v2/alerts?receiver=db")).json() == []  # anchored, as Alertmanager does


@pytest.mark.parametrize(
    ("params", "location"),
    [({"filter": "alertname"}, "query.filter[0]"), ({"receiver": "("}, "query.receiver")],
)
async def test_bad_filters_are_a_400_naming_them(
    client: httpx.AsyncClient, params: dict[str, str], location: str
) -> None:
    for path in ("/api/v2/alerts", "/api/v2/alerts/groups"):
        answer = await client.get(path, params=params)
        assert answer.status_code == 400, answer.text
        assert [e["loc"] for e in answer.json()["errors"]] == [location]


async def test_groups_as_the_pipeline_grouped_them(client: httpx.AsyncClient, hub: Hub) -> None:
    await am_post(
        client,
        {"labels": {"alertname": "DiskFull", "service": "database", "instance": "db1"}},
        {"labels": {"alertname": "DiskFull", "service": "database", "instance": "db2"}},
        {"labels": {"alertname": "CpuHigh", "service": "web"}},
        {"labels": {"alertname": "Nightly", "service": "batch"}},
    )
    await dispatcher(hub).run_once()
    answer = await client.get("/api/v2/alerts/groups")
    assert answer.status_code == 200, answer.text
    assert_valid(answer.json(), "/alerts/groups")
    groups = {(g["receiver"]["name"], g["labels"]["alertname"]): g for g in answer.json()}
    assert set(groups) == {("db-team", "DiskFull"), ("ops", "CpuHigh"), ("ops", "Nightly")}
    disk = groups[("db-team", "DiskFull")]
    assert disk["labels"] == {"alertname": "DiskFull", "service": "database"}
    assert sorted(a["labels"]["instance"] for a in disk["alerts"]) == ["db1", "db2"]
    assert groups[("ops", "Nightly")]["alerts"][0]["status"]["mutedBy"] == ["always"]
    unmuted = (await client.get("/api/v2/alerts/groups", params={"muted": "false"})).json()
    assert {g["labels"]["alertname"] for g in unmuted} == {"DiskFull", "CpuHigh"}
    by_receiver = (await client.get("/api/v2/alerts/groups", params={"receiver": "db-team"})).json()
    assert [g["receiver"]["name"] for g in by_receiver] == ["db-team"]
    filtered = (await client.get("/api/v2/alerts/groups", params={"filter": "instance=db2"})).json()
    assert [[a["labels"]["instance"] for a in g["alerts"]] for g in filtered] == [["db2"]]


async def test_receivers(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v2/receivers")
    assert_valid(answer.json(), "/receivers")
    assert answer.json() == [{"name": "ops"}, {"name": "db-team"}]


async def test_status_hides_every_secret(client: httpx.AsyncClient, clock: FakeClock) -> None:
    answer = await client.get("/api/v2/status")
    assert answer.status_code == 200
    body = answer.json()
    assert_valid(body, "/status")
    assert body["cluster"]["status"] == "ready" and body["cluster"]["peers"][0]["name"] == body["cluster"]["name"]
    original = body["config"]["original"]
    for secret in (HOOK_SECRET, "hdr-secret", SENTRY_SECRET, SENTRY_TOKEN, HETRIX_TOKEN, "db-password"):
        assert secret not in original, secret
    shown = yaml.safe_load(original)
    assert shown["channels"][0]["url"] == "<secret>"
    assert shown["channels"][0]["headers"] == {"Authorization": "<secret>"}
    assert shown["channels"][1]["url"] == "<secret>"  # a SecretStr field, whatever its value
    assert shown["integrations"]["sentry"]["webhook_secret"] == "<secret>"
    assert shown["storage"]["url"] == "postgresql://alerthub:<secret>@db.internal:5432/alerthub"
    assert shown["route"]["routes"][0] == {"receiver": "db-team", "matchers": ['service="database"'], "continue": False}
    assert shown["rules"][0]["for"] == "5m"
    assert body["versionInfo"]["version"] and body["versionInfo"]["goVersion"].startswith("python")


async def test_alertmanager_health_paths(client: httpx.AsyncClient) -> None:
    for path in ("/-/healthy", "/-/ready"):
        answer = await client.get(path)
        assert (answer.status_code, answer.text) == (200, "OK")
        # Alertmanager's management API answers HEAD too, as probes that send it expect.
        assert (await client.head(path)).status_code == 200, path


async def test_the_read_api_takes_a_read_token_and_health_stays_open(client: httpx.AsyncClient) -> None:
    auth: AuthService = client._transport.app.state.auth  # type: ignore[attr-defined]
    reader = await auth.create_token("amtool", Scope.READ)
    ingest = await auth.create_token("prometheus", Scope.INGEST)
    paths = ["/api/v2/alerts", "/api/v2/alerts/groups", "/api/v2/status", "/api/v2/receivers", "/api/v2/silences"]
    for path in paths:
        assert (await client.get(path)).status_code == 401, path
        assert (await client.get(path, headers={"Authorization": f"Bearer {ingest}"})).status_code == 403, path
        assert (await client.get(path, headers={"Authorization": f"Bearer {reader}"})).status_code == 200, path
    for path in ("/-/healthy", "/-/ready"):
        assert (await client.get(path)).status_code == 200, path
