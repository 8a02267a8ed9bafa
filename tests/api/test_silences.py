"""Silences over HTTP: Alertmanager's body and answers, states from the clock, bad bodies refused with
their location and nothing stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from support.clock import FakeClock
from support.pipeline import dispatcher

BODY: dict[str, Any] = {
    "matchers": [{"name": "service", "value": "api", "isRegex": False, "isEqual": True}],
    "startsAt": "2026-11-27T09:00:00Z",
    "endsAt": "2026-11-27T11:00:00Z",
    "createdBy": "ops",
    "comment": "deploy",
}


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "channels": [{"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/hook"}],
            "route": {"group_by": ["service"], "group_wait": "0s"},
        }
    )


async def test_what_a_silence_holds_back_is_in_the_log_and_the_trace(
    client: httpx.AsyncClient, hub: Hub, clock: FakeClock
) -> None:
    silence_id = (await client.post("/api/silences", json=BODY)).json()["silenceID"]
    body = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 97}, "labels": {"service": "api"}}
    alert_id = (await client.post("/api/alerts/send", json=body)).json()["alert_id"]
    await dispatcher(hub).run_once()
    [logged] = (await client.get("/api/notifications", params={"status": "suppressed"})).json()["notifications"]
    assert logged["channel"] == "discord" and logged["alert_ids"] == [alert_id]
    assert logged["reason"].startswith(f"silenced by {silence_id}")
    assert (await client.get("/api/notifications", params={"status": "pending"})).json()["notifications"] == []
    trace = (await client.get(f"/api/alerts/{alert_id}/trace")).json()["trace"]
    assert any(e["actor"] == "pipeline:silence" and silence_id in e["reason"] for e in trace)


async def test_create_read_list_and_expire(client: httpx.AsyncClient, clock: FakeClock) -> None:
    answer = await client.post("/api/silences", json=BODY)
    assert answer.status_code == 200, answer.text
    silence_id = answer.json()["silenceID"]
    assert answer.json()["silence"]["status"] == {"state": "active"}
    got = (await client.get(f"/api/silences/{silence_id}")).json()
    assert got["matchers"] == BODY["matchers"]
    assert (got["createdBy"], got["comment"], got["endsAt"]) == ("ops", "deploy", "2026-11-27T11:00:00Z")
    assert [s["id"] for s in (await client.get("/api/silences", params={"state": "active"})).json()["silences"]] == [
        silence_id
    ]
    clock.advance(60)
    expired = await client.delete(f"/api/silences/{silence_id}")
    assert expired.status_code == 200
    assert expired.json()["status"]["state"] == "expired"
    assert expired.json()["endsAt"] == "2026-11-27T09:01:00Z"
    assert (await client.get("/api/silences", params={"state": "active"})).json()["silences"] == []
    again = await client.delete(f"/api/silences/{silence_id}")
    assert again.status_code == 409


async def test_a_silence_expires_by_itself(client: httpx.AsyncClient, clock: FakeClock) -> None:
    body = {**BODY, "startsAt": "2026-11-27T10:00:00Z"}
    silence_id = (await client.post("/api/silences", json=body)).json()["silenceID"]
    states = []
    for _ in range(3):
        states.append((await client.get(f"/api/silences/{silence_id}")).json()["status"]["state"])
        clock.advance(3600)
    assert states == ["pending", "active", "expired"]


async def test_a_start_in_the_past_means_now(client: httpx.AsyncClient, clock: FakeClock) -> None:
    body = {**BODY, "startsAt": "2026-11-01T00:00:00Z"}
    saved = (await client.post("/api/silences", json=body)).json()["silence"]
    assert saved["startsAt"] == "2026-11-27T09:00:00Z"


async def test_update_by_id_keeps_the_id(client: httpx.AsyncClient) -> None:
    silence_id = (await client.post("/api/silences", json=BODY)).json()["silenceID"]
    changed = await client.post("/api/silences", json={**BODY, "id": silence_id, "comment": "longer deploy"})
    assert changed.json()["silenceID"] == silence_id
    assert (await client.get(f"/api/silences/{silence_id}")).json()["comment"] == "longer deploy"
    missing = await client.post("/api/silences", json={**BODY, "id": "no-such-silence"})
    assert missing.status_code == 404


async def test_alertmanager_paths_answer_like_alertmanager(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v2/silences", json=BODY)
    assert answer.status_code == 200 and list(answer.json()) == ["silenceID"]
    silence_id = answer.json()["silenceID"]
    listed = (await client.get("/api/v2/silences")).json()
    assert isinstance(listed, list) and listed[0]["id"] == silence_id
    assert (await client.delete(f"/api/v2/silence/{silence_id}")).status_code == 200
    assert (await client.get(f"/api/v2/silence/{silence_id}")).json()["status"]["state"] == "expired"


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"matchers": []}, "body.matchers"),
        ({"matchers": [{"name": "", "value": "x"}]}, "body.matchers[0].name"),
        ({"matchers": [{"name": "a", "value": "(", "isRegex": True}]}, "body.matchers[0].value"),
        ({"matchers": [{"name": "a", "value": ".*", "isRegex": True}]}, "body.matchers"),
        ({"matchers": [{"name": "a", "value": "", "isEqual": True}]}, "body.matchers"),
        ({"endsAt": "2026-11-27T08:00:00Z", "startsAt": "2026-11-27T08:30:00Z"}, "body.endsAt"),
        ({"startsAt": "2026-11-27T07:00:00Z", "endsAt": "2026-11-27T08:00:00Z"}, "body.endsAt"),
        ({"endsAt": "2026-11-27T11:00:00"}, "body.endsAt"),
        ({"createdBy": ""}, "body.createdBy"),
        ({"comment": ""}, "body.comment"),
        ({"unknown": 1}, "body.unknown"),
    ],
)
async def test_bad_bodies_are_refused_with_their_location(
    client: httpx.AsyncClient, change: dict[str, Any], location: str
) -> None:
    answer = await client.post("/api/silences", json={**BODY, **change})
    assert answer.status_code == 422, answer.text
    assert location in [e["loc"] for e in answer.json()["errors"]]
    assert (await client.get("/api/silences")).json()["silences"] == []


async def test_malformed_and_unknown(client: httpx.AsyncClient) -> None:
    assert (
        await client.post("/api/silences", content=b"{", headers={"content-type": "application/json"})
    ).status_code == 400
    assert (await client.post("/api/silences", content=b"x", headers={"content-type": "text/plain"})).status_code == 415
    assert (await client.get("/api/silences/nope")).status_code == 404
    assert (await client.delete("/api/silences/nope")).status_code == 404
    assert (await client.get("/api/silences", params={"state": "sleeping"})).status_code == 422


@pytest.mark.parametrize("path", ["/api/silences", "/api/v2/silences"])
@pytest.mark.parametrize(
    ("pattern", "why"), [(r"(a)\1", "invalid escape sequence"), ("(?=x)", "invalid perl operator")]
)
async def test_a_regex_re2_cannot_run_is_422_naming_the_matcher(
    client: httpx.AsyncClient, path: str, pattern: str, why: str
) -> None:
    """Matchers are RE2, as Alertmanager's: no backreferences, no lookaround (they need backtracking)."""
    matchers = [
        {"name": "service", "value": "api", "isRegex": False, "isEqual": True},
        {"name": "host", "value": pattern, "isRegex": True, "isEqual": True},
    ]
    answer = await client.post(path, json={**BODY, "matchers": matchers})
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["errors"]
    assert problem["loc"] == "body.matchers[1].value"
    assert problem["msg"].startswith(f"host=~{pattern!r}: not a valid regular expression (RE2 syntax): {why}")
    assert problem["msg"] in answer.json()["detail"]
    assert (await client.get("/api/silences")).json()["silences"] == []
