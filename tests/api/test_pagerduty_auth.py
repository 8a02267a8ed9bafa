"""PagerDuty clients authenticate with the event's `routing_key`: once access control is on, an ingest token
(or a key of integrations.pagerduty.routing_keys) sent as the routing key is the credential, with no
Authorization header; the body is read once, within the size limit, and the endpoint gets the same bytes.
Anything else is refused as PagerDuty refuses an unknown key, and an Authorization header works as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from alerthub.config.models import Config
from alerthub.hub import Hub
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope
from support.counting import statements_sent

CONFIGURED = "configured0123456789abcdef012345"
JSON = {"content-type": "application/json"}


@pytest.fixture
def config() -> Config:
    keys = [{"key": CONFIGURED, "labels": {"service": "payments"}}]
    return Config.model_validate({"integrations": {"pagerduty": {"routing_keys": keys}}})


def auth_of(client: httpx.AsyncClient) -> AuthService:
    auth: AuthService = client._transport.app.state.auth  # type: ignore[attr-defined]
    return auth


@pytest.fixture
async def tokens(client: httpx.AsyncClient) -> dict[str, str]:
    """Access control on: an ingest, a read and an admin token."""
    auth = auth_of(client)
    return {scope.value: await auth.create_token(f"pd-{scope.value}", scope) for scope in Scope}


def event_with(key: Any, dedup_key: str = "disk-db1") -> dict[str, Any]:
    payload = {"summary": "Disk 95%", "source": "db1", "severity": "critical"}
    return {"routing_key": key, "event_action": "trigger", "dedup_key": dedup_key, "payload": payload}


async def stored(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    answer = await client.get("/api/alerts", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["alerts"]
    return found


def assert_pagerduty_refusal(answer: httpx.Response, *fragments: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["status"], body["message"]) == ("invalid event", "Event object is invalid")
    assert all(isinstance(e, str) for e in body["errors"]) and body["errors"]
    for fragment in fragments:
        assert any(fragment in e for e in body["errors"]), body


async def test_an_ingest_token_as_routing_key_needs_no_header(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    answer = await client.post("/v2/enqueue", json=event_with(tokens["ingest"]))
    assert (answer.status_code, answer.json()) == (
        202,
        {"status": "success", "message": "Event processed", "dedup_key": "disk-db1"},
    )
    [alert] = await stored(client, tokens["read"])
    assert alert["annotations"]["summary"] == "Disk 95%"
    resolve = {"routing_key": tokens["admin"], "event_action": "resolve", "dedup_key": "disk-db1"}
    assert (await client.post("/v2/enqueue", json=resolve)).status_code == 202, "admin allows ingest"
    assert [a["state"] for a in await stored(client, tokens["read"])] == ["resolved"]
    change = {"routing_key": tokens["ingest"], "payload": {"summary": "deploy", "source": "db"}}
    assert (await client.post("/v2/change/enqueue", json=change)).status_code == 202


async def test_the_stored_raw_payload_never_shows_the_token(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    assert (await client.post("/v2/enqueue", json=event_with(tokens["ingest"]))).status_code == 202
    [alert] = await stored(client, tokens["read"])
    detail = await client.get(f"/api/alerts/{alert['id']}", headers={"Authorization": f"Bearer {tokens['read']}"})
    assert tokens["ingest"] not in detail.text and detail.json()["raw"]["routing_key"] == "<secret>"


@pytest.mark.parametrize("path", ["/v2/enqueue", "/v2/change/enqueue"])
async def test_an_unknown_routing_key_is_refused_as_pagerduty_refuses_it(
    client: httpx.AsyncClient, tokens: dict[str, str], path: str
) -> None:
    body = event_with("ah_not-a-real-token") if path == "/v2/enqueue" else {"routing_key": "x", "payload": {}}
    assert_pagerduty_refusal(await client.post(path, json=body), "body.routing_key: unknown")
    assert await stored(client, tokens["read"]) == []


@pytest.mark.parametrize(
    ("key", "fragment"),
    [(None, "required"), ("", "required"), (42, "required"), ("read", "read-scope token")],
)
async def test_no_key_a_wrong_type_or_a_read_token_is_refused(
    client: httpx.AsyncClient, tokens: dict[str, str], key: Any, fragment: str
) -> None:
    body = event_with(tokens.get(key, key) if isinstance(key, str) else key)
    if key is None:
        del body["routing_key"]
    assert_pagerduty_refusal(await client.post("/v2/enqueue", json=body), fragment)
    assert await stored(client, tokens["read"]) == []


async def test_a_revoked_token_is_an_unknown_key(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    await auth_of(client).revoke_token("pd-ingest")
    assert_pagerduty_refusal(await client.post("/v2/enqueue", json=event_with(tokens["ingest"])), "unknown")


async def test_a_configured_routing_key_is_accepted_and_labels_its_alerts(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    assert (await client.post("/v2/enqueue", json=event_with(CONFIGURED))).status_code == 202
    [alert] = await stored(client, tokens["read"])
    assert alert["labels"]["service"] == "payments"
    assert_pagerduty_refusal(await client.post("/v2/enqueue", json=event_with(CONFIGURED.upper())), "unknown")


async def test_an_authorization_header_works_as_before(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    bearer = {"Authorization": f"Bearer {tokens['ingest']}"}
    # With the header the body's key is only a labels-mapping key: any key is fine.
    answer = await client.post("/v2/enqueue", json=event_with("R0123456789abcdef0123456789abcdef"), headers=bearer)
    assert answer.status_code == 202, answer.text
    wrong = await client.post("/v2/enqueue", json=event_with(tokens["ingest"]), headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401 and "invalid or revoked" in wrong.json()["detail"], "the header decides"
    basic = await client.post("/v2/enqueue", json=event_with(tokens["ingest"]), headers={"Authorization": "Basic eA=="})
    assert basic.status_code == 401
    read = {"Authorization": f"Bearer {tokens['read']}"}
    assert (await client.post("/v2/enqueue", json=event_with(tokens["ingest"]), headers=read)).status_code == 403
    assert len(await stored(client, tokens["read"])) == 1


@pytest.mark.parametrize("path", ["/v2/enqueue", "/v2/change/enqueue"])
@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b'{"routing_key": ', JSON, 400),
        (b"", JSON, 400),
        (b'{"routing_key": NaN}', JSON, 400),
        (b'{"routing_key": "k"}', {"content-type": "text/plain"}, 415),
        (b'{"pad": "' + b"x" * (1024 * 1024) + b'"}', JSON, 413),
        (b"{}", {**JSON, "content-length": str(2 * 1024 * 1024)}, 413),
    ],
)
async def test_a_bad_body_keeps_its_status_before_any_key_is_read(
    client: httpx.AsyncClient, tokens: dict[str, str], path: str, content: bytes, headers: dict[str, str], status: int
) -> None:
    answer = await client.post(path, content=content, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["status"] == "invalid event" and answer.json()["message"]
    assert await stored(client, tokens["read"]) == []


async def test_a_streamed_body_is_read_once_and_handed_on_whole(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    raw = orjson.dumps(event_with(tokens["ingest"], dedup_key="streamed"))

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 7):
            yield raw[start : start + 7]

    answer = await client.post("/v2/enqueue", content=chunks(), headers=JSON)
    assert answer.status_code == 202 and answer.json()["dedup_key"] == "streamed"


async def test_routing_keys_are_checked_from_memory(
    client: httpx.AsyncClient, tokens: dict[str, str], hub: Hub
) -> None:
    assert (await client.post("/v2/enqueue", json=event_with(tokens["ingest"]))).status_code == 202  # warm
    with statements_sent(hub.db) as statements:
        for key in (tokens["ingest"], CONFIGURED) * 5:
            assert (await client.post("/v2/enqueue", json=event_with(key))).status_code == 202
    assert statements and not [s for s in statements if "api_token" in s or "app_user" in s]


async def test_an_open_hub_takes_any_routing_key(client: httpx.AsyncClient) -> None:
    for key in ("anything", CONFIGURED):
        answer = await client.post("/v2/enqueue", json=event_with(key, dedup_key=key))
        assert answer.status_code == 202, answer.text
    change = {"routing_key": "whatever", "payload": {"summary": "deploy"}}
    assert (await client.post("/v2/change/enqueue", json=change)).status_code == 202
    assert len((await client.get("/api/alerts")).json()["alerts"]) == 2
