"""`GET /api/alerts` and `GET /api/alerts/{id}` say what holds an alert back, as Alertmanager's API judges
it: silenced by a real silence (who, why, until when), inhibited by a firing alert through a real inhibit
rule, muted by a time interval the pipeline found it in; `null` for an alert nothing holds back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from support.counting import counting
from support.pipeline import dispatcher

SETTINGS: dict[str, Any] = {
    "channels": [{"name": "ops-hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"}],
    "receivers": [{"name": "ops", "channels": ["ops-hook"]}],
    "route": {
        "receiver": "ops",
        "group_by": ["alertname", "service"],
        "group_wait": "0s",
        "routes": [{"matchers": ['service="batch"'], "receiver": "ops", "mute_time_intervals": ["nights"]}],
    },
    "inhibit_rules": [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'], "equal": ["service"]}
    ],
    # Every moment is inside it: the route below it is always muted.
    "time_intervals": [{"name": "nights", "time_intervals": [{}]}],
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(SETTINGS)


async def am_post(client: httpx.AsyncClient, *alerts: dict[str, Any]) -> None:
    answer = await client.post("/api/v2/alerts", json=list(alerts))
    assert answer.status_code == 200, answer.text


async def listed(client: httpx.AsyncClient, **params: Any) -> dict[str, dict[str, Any]]:
    answer = await client.get("/api/alerts", params=params)
    assert answer.status_code == 200, answer.text
    return {a["rule_name"]: a for a in answer.json()["alerts"]}


async def silence(client: httpx.AsyncClient, alertname: str, created_by: str, comment: str) -> str:
    body = {
        "matchers": [{"name": "alertname", "value": alertname, "isRegex": False}],
        "startsAt": "2026-11-27T09:00:00Z",
        "endsAt": "2026-11-27T11:30:00Z",
        "createdBy": created_by,
        "comment": comment,
    }
    answer = await client.post("/api/silences", json=body)
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["silenceID"])


async def test_a_silenced_alert_names_the_silence_who_why_and_until(client: httpx.AsyncClient) -> None:
    await am_post(client, {"labels": {"alertname": "Noisy", "service": "web"}}, {"labels": {"alertname": "Calm"}})
    silence_id = await silence(client, "Noisy", "kim", "deploying <script>alert(1)</script>")
    found = await listed(client)
    expected = {
        "silenced_by": [
            {
                "id": silence_id,
                "created_by": "kim",
                "comment": "deploying <script>alert(1)</script>",
                "ends_at": "2026-11-27T11:30:00Z",
            }
        ],
        "inhibited_by": [],
        "muted_by": [],
    }
    assert found["Noisy"]["muted"] == expected
    assert found["Calm"]["muted"] is None
    detail = (await client.get(f"/api/alerts/{found['Noisy']['id']}")).json()
    assert detail["muted"] == expected
    assert (await client.get(f"/api/alerts/{found['Calm']['id']}")).json()["muted"] is None
    # The existing fields are untouched: the alert still fires; muting is beside its state, not instead of it.
    assert found["Noisy"]["state"] == "firing"


async def test_an_expired_silence_mutes_nothing(client: httpx.AsyncClient) -> None:
    await am_post(client, {"labels": {"alertname": "Noisy"}})
    silence_id = await silence(client, "Noisy", "kim", "short")
    assert (await client.delete(f"/api/silences/{silence_id}")).status_code in (200, 204)
    assert (await listed(client))["Noisy"]["muted"] is None


async def test_an_inhibited_alert_names_the_alert_that_inhibits_it(client: httpx.AsyncClient) -> None:
    down = {"alertname": "ApiDown", "service": "api", "severity": "critical"}
    slow = {"alertname": "ApiSlow", "service": "api", "severity": "warning"}
    other = {"alertname": "WebSlow", "service": "web", "severity": "warning"}
    await am_post(client, {"labels": down}, {"labels": slow}, {"labels": other})
    found = await listed(client)
    source = found["ApiDown"]
    assert found["ApiSlow"]["muted"] == {
        "silenced_by": [],
        "inhibited_by": [{"id": source["id"], "fingerprint": source["fingerprint"], "rule_name": "ApiDown"}],
        "muted_by": [],
    }
    assert found["WebSlow"]["muted"] is None and source["muted"] is None
    # The source resolves: nothing inhibits any more.
    await am_post(client, {"labels": down, "endsAt": "2026-11-27T08:59:00Z"})
    assert (await listed(client))["ApiSlow"]["muted"] is None


async def test_an_alert_in_a_mute_interval_names_the_interval(client: httpx.AsyncClient, hub: Hub) -> None:
    await am_post(client, {"labels": {"alertname": "Nightly", "service": "batch"}})
    await dispatcher(hub).run_once()
    nightly = (await listed(client))["Nightly"]
    assert nightly["muted"] == {"silenced_by": [], "inhibited_by": [], "muted_by": ["nights"]}
    assert (await client.get(f"/api/alerts/{nightly['id']}")).json()["muted"]["muted_by"] == ["nights"]


async def test_a_resolved_alert_is_never_muted(client: httpx.AsyncClient) -> None:
    await am_post(client, {"labels": {"alertname": "Noisy"}})
    await silence(client, "Noisy", "kim", "known")
    await am_post(client, {"labels": {"alertname": "Noisy"}, "endsAt": "2026-11-27T08:59:00Z"})
    [gone] = (await client.get("/api/alerts", params={"state": "resolved"})).json()["alerts"]
    assert gone["rule_name"] == "Noisy" and gone["muted"] is None


async def test_listing_many_alerts_costs_no_more_queries_than_listing_two(client: httpx.AsyncClient, hub: Hub) -> None:
    await silence(client, "Noisy", "kim", "known")
    await am_post(client, *({"labels": {"alertname": "Noisy", "n": str(i)}} for i in range(2)))
    with counting(hub.db) as two:
        assert len(await listed(client)) == 1
    await am_post(client, *({"labels": {"alertname": "Noisy", "n": str(i)}} for i in range(2, 60)))
    with counting(hub.db) as sixty:
        answer = (await client.get("/api/alerts", params={"limit": 100})).json()["alerts"]
    assert len(answer) == 60 and all(a["muted"]["silenced_by"] for a in answer)
    assert sixty.statements == two.statements
