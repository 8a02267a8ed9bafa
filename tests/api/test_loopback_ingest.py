"""`auth.loopback_ingest`: the seed's monitors post from this host with no token and never read the
answer. Adding a dashboard login must not cut them off; anything that comes through a proxy, from
another address, or after tokens were handed out needs a token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from alerthub.api.app import create_app
from alerthub.config.models import AuthConfig, Config
from alerthub.hub import Hub, build_hub
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope
from alerthub.store.database import Database
from support.clock import FakeClock

SEED = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 95.5}}


def client_from(hub: Hub, address: str) -> httpx.AsyncClient:
    app = create_app(hub, migrate=False, run_background=False)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://hub.test")


@pytest.fixture
async def local(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(hub, "127.0.0.1") as http:
        yield http


def service(client: httpx.AsyncClient) -> AuthService:
    auth: AuthService = client._transport.app.state.auth  # type: ignore[attr-defined]
    return auth


async def test_a_dashboard_login_leaves_the_seeds_local_ingest_open_and_nothing_else(
    local: httpx.AsyncClient,
) -> None:
    await service(local).add_user("kim", "long enough")
    sent = await local.post("/api/alerts/send", json=SEED)
    assert sent.status_code == 202, sent.text
    assert sent.json()["state"] == "firing"
    assert (await local.post("/api/v2/alerts", json=[{"labels": {"alertname": "Up"}}])).status_code == 200
    # Only ingest: reading and acting still need the login.
    assert (await local.get("/api/alerts")).status_code == 401
    assert (await local.post("/api/alerts/1/ack", json={})).status_code == 401
    # A credential that is sent is checked, wherever it comes from.
    bad = await local.post("/api/alerts/send", json=SEED, headers={"Authorization": "Bearer ah_wrong"})
    assert bad.status_code == 401


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
async def test_a_request_through_a_proxy_on_the_same_host_is_never_taken_for_a_local_sender(
    local: httpx.AsyncClient, header: str
) -> None:
    await service(local).add_user("kim", "long enough")
    value = "for=198.51.100.7" if header == "Forwarded" else "198.51.100.7"
    answer = await local.post("/api/alerts/send", json=SEED, headers={header: value})
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("address", ["203.0.113.5", "10.0.0.8", "::ffff:203.0.113.5"])
async def test_another_address_needs_a_token(hub: Hub, address: str) -> None:
    async with client_from(hub, address) as remote:
        await service(remote).add_user("kim", "long enough")
        assert (await remote.post("/api/alerts/send", json=SEED)).status_code == 401


async def test_once_a_token_is_handed_out_local_ingest_needs_one_too(local: httpx.AsyncClient) -> None:
    auth = service(local)
    await auth.add_user("kim", "long enough")
    token = await auth.create_token("monitors", Scope.INGEST)
    assert (await local.post("/api/alerts/send", json=SEED)).status_code == 401
    with_token = await local.post("/api/alerts/send", json=SEED, headers={"Authorization": f"Bearer {token}"})
    assert with_token.status_code == 202
    await auth.revoke_token("monitors")
    assert (await local.post("/api/alerts/send", json=SEED)).status_code == 401, "revoking does not reopen"


async def test_loopback_ingest_token_closes_it_as_soon_as_a_login_exists(clock: FakeClock, db: Database) -> None:
    hub = build_hub(Config(auth=AuthConfig(loopback_ingest="token")), clock=clock, db=db)
    async with client_from(hub, "127.0.0.1") as local:
        assert (await local.post("/api/alerts/send", json=SEED)).status_code == 202, "no credentials: open"
        await service(local).add_user("kim", "long enough")
        assert (await local.post("/api/alerts/send", json=SEED)).status_code == 401


def test_an_unknown_setting_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="loopback_ingest"):
        Config.model_validate({"auth": {"loopback_ingest": "yes"}})
