"""The access rules at the HTTP edge: open on a fresh hub, then tokens by scope, browser sessions with
CSRF, rate-limited logins, and the paths that stay public."""

from __future__ import annotations

import re

import httpx

from alerthub.hub import Hub
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope

SEED = {"rule_name": "system_memory_high", "metric_data": {"metric_value": 95.5}}
HTML = {"Accept": "text/html"}


def service(client: httpx.AsyncClient) -> AuthService:
    app = client._transport.app  # type: ignore[attr-defined]
    auth: AuthService = app.state.auth
    return auth


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page carries a CSRF field"
    return found.group(1)


async def login(client: httpx.AsyncClient, name: str, password: str) -> httpx.Response:
    page = await client.get("/login", headers=HTML)
    form = {"csrf": csrf_of(page.text), "username": name, "password": password, "next": "/"}
    return await client.post("/login", data=form)


async def test_fresh_hub_is_open(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/alerts/send", json=SEED)).status_code == 202
    assert (await client.get("/api/alerts")).status_code == 200
    assert (await client.post("/api/alerts/1/ack", json={})).status_code == 200
    assert (await client.get("/", headers=HTML)).status_code == 200


async def test_once_a_token_exists_every_api_route_needs_one(client: httpx.AsyncClient) -> None:
    await service(client).create_token("someone", Scope.READ)
    for method, path in [
        ("GET", "/api/alerts"),
        ("GET", "/api/rules"),
        ("POST", "/api/alerts/send"),
        ("GET", "/metrics"),
    ]:
        answer = await client.request(method, path, json=SEED if method == "POST" else None)
        assert answer.status_code == 401, path
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "Bearer" in answer.json()["detail"]
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200
    bad = await client.get("/api/alerts", headers={"Authorization": "Bearer ah_not-a-real-token"})
    assert bad.status_code == 401 and "invalid" in bad.json()["detail"]


async def test_webhooks_are_left_to_their_own_secret(client: httpx.AsyncClient) -> None:
    await service(client).create_token("someone", Scope.READ)
    answer = await client.post("/webhooks/hetrixtools", json={"monitor_status": "offline"})
    # Refused by the HetrixTools check (naming its config key), not by the API-token middleware.
    assert answer.status_code == 401 and "webhook_token" in answer.text


async def test_alertmanager_webhook_has_no_secret_of_its_own_so_it_takes_an_ingest_token(
    client: httpx.AsyncClient,
) -> None:
    auth = service(client)
    ingest = await auth.create_token("prometheus", Scope.INGEST)
    body = {"version": "4", "alerts": [{"labels": {"alertname": "Up"}, "status": "firing"}]}
    assert (await client.post("/webhooks/alertmanager", json=body)).status_code == 401
    answer = await client.post("/webhooks/alertmanager", json=body, headers={"Authorization": f"Bearer {ingest}"})
    assert answer.status_code == 200


async def test_scopes(client: httpx.AsyncClient) -> None:
    auth = service(client)
    tokens = {scope: await auth.create_token(f"t-{scope.value}", scope) for scope in Scope}

    def bearer(scope: Scope) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[scope]}"}

    assert (await client.post("/api/alerts/send", json=SEED, headers=bearer(Scope.INGEST))).status_code == 202
    assert (await client.post("/api/v2/alerts", json=[], headers=bearer(Scope.INGEST))).status_code != 403
    assert (await client.get("/api/alerts", headers=bearer(Scope.INGEST))).status_code == 403
    assert (await client.get("/api/alerts", headers=bearer(Scope.READ))).status_code == 200
    assert (await client.post("/api/alerts/send", json=SEED, headers=bearer(Scope.READ))).status_code == 403
    denied = await client.post("/api/alerts/1/ack", json={}, headers=bearer(Scope.READ))
    assert denied.status_code == 403 and "read scope" in denied.json()["detail"]
    acked = await client.post("/api/alerts/1/ack", json={}, headers=bearer(Scope.ADMIN))
    assert acked.status_code == 200
    assert acked.json()["acknowledged_by"] == "t-admin", "the actor is the token's name"
    assert (await client.post("/api/alerts/send", json=SEED, headers=bearer(Scope.ADMIN))).status_code == 202


async def test_revoked_token_is_refused(client: httpx.AsyncClient) -> None:
    auth = service(client)
    token = await auth.create_token("gone", Scope.ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/alerts", headers=headers)).status_code == 200
    await auth.revoke_token("gone")
    assert (await client.get("/api/alerts", headers=headers)).status_code == 401


async def test_pages_redirect_to_login_and_back(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    answer = await client.get("/overview?x=1", headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Foverview%3Fx%3D1"
    page = await client.get("/login?next=/overview", headers=HTML)
    assert page.status_code == 200 and 'value="/overview"' in page.text


async def test_login_sets_a_safe_cookie_and_the_user_acts_with_csrf(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    await service(client).create_token("sender", Scope.INGEST)  # the ingest path is unaffected by sessions
    assert (await client.post("/api/alerts/send", json=SEED)).status_code == 401
    answer = await login(client, "alice", "long enough")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "alerthub_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; see the next test
    board = await client.get("/", headers=HTML)
    assert board.status_code == 200 and ">alice<" in board.text
    csrf = re.search(r'data-csrf="([^"]+)"', board.text).group(1)  # type: ignore[union-attr]
    sent = await client.post("/api/alerts/send", json=SEED)
    assert sent.status_code == 403, "a cookie session without the CSRF header cannot post"
    sent = await client.post("/api/alerts/send", json=SEED, headers={"X-CSRF-Token": csrf})
    assert sent.status_code == 202
    acked = await client.post("/api/alerts/1/ack", json={}, headers={"X-CSRF-Token": "wrong"})
    assert acked.status_code == 403
    acked = await client.post("/api/alerts/1/ack", json={}, headers={"X-CSRF-Token": csrf})
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "alice"


async def test_cookie_is_secure_behind_https(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    async with httpx.AsyncClient(transport=client._transport, base_url="https://hub.test") as tls:
        answer = await login(tls, "alice", "long enough")
    assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]


async def test_wrong_password_and_missing_csrf_are_refused(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    wrong = await login(client, "alice", "not it")
    assert wrong.status_code == 401 and "alerthub_session" not in wrong.headers.get("set-cookie", "")
    no_csrf = await client.post("/login", data={"username": "alice", "password": "long enough"})
    assert no_csrf.status_code == 403
    assert (await client.get("/", headers=HTML)).status_code == 303


async def test_login_attempts_are_rate_limited(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    for _ in range(5):
        assert (await login(client, "alice", "guess")).status_code == 401
    held = await login(client, "alice", "long enough")
    assert held.status_code == 429 and int(held.headers["retry-after"]) > 0


async def test_logout_ends_the_session(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    await login(client, "alice", "long enough")
    board = await client.get("/", headers=HTML)
    out = await client.post("/logout", data={"csrf": csrf_of(board.text)})
    assert out.status_code == 303
    assert (await client.get("/", headers=HTML)).status_code == 303


async def test_a_tampered_session_cookie_is_no_session(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    await login(client, "alice", "long enough")
    value = client.cookies["alerthub_session"]
    client.cookies.set("alerthub_session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert (await client.get("/api/alerts")).status_code == 401


async def test_a_removed_user_loses_access(client: httpx.AsyncClient) -> None:
    auth = service(client)
    await auth.add_user("alice", "long enough")
    await auth.add_user("bob", "long enough")
    await login(client, "alice", "long enough")
    assert (await client.get("/api/alerts")).status_code == 200
    await auth.remove_user("alice")
    assert (await client.get("/api/alerts")).status_code == 401


async def test_cross_site_posts_are_refused_even_when_open(client: httpx.AsyncClient, hub: Hub) -> None:
    answer = await client.post("/api/alerts/send", json=SEED, headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 403
    assert (
        await client.post("/api/alerts/send", json=SEED, headers={"Sec-Fetch-Site": "same-origin"})
    ).status_code == 202


async def test_open_redirects_are_refused(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    page = await client.get("/login", headers=HTML)
    form = {"csrf": csrf_of(page.text), "username": "alice", "password": "long enough", "next": "//evil.example/x"}
    answer = await client.post("/login", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_required_scope_per_route() -> None:
    from alerthub.api.auth import required_scope

    assert required_scope("POST", "/api/alerts/send") is Scope.INGEST
    assert required_scope("POST", "/v2/enqueue") is Scope.INGEST
    assert required_scope("POST", "/webhooks/alertmanager") is Scope.INGEST
    assert required_scope("POST", "/api/heartbeats/nightly-backup") is Scope.INGEST, "a ping is ingest"
    assert required_scope("GET", "/api/heartbeats/nightly-backup") is Scope.READ
    assert required_scope("DELETE", "/api/heartbeats/nightly-backup") is Scope.ADMIN
    assert required_scope("POST", "/api/silences") is Scope.ADMIN
    assert required_scope("GET", "/api/events") is Scope.READ


async def test_token_checks_cost_no_query_per_request(client: httpx.AsyncClient, hub: Hub) -> None:
    from sqlalchemy import event

    token = await service(client).create_token("sender", Scope.ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/rules", headers=headers)).status_code == 200  # warms the cache
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(hub.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        for _ in range(20):
            assert (await client.post("/api/alerts/send", json=SEED, headers=headers)).status_code == 202
    finally:
        event.remove(hub.db.engine.sync_engine, "before_cursor_execute", record)
    assert statements, "the ingest itself writes"
    assert not [s for s in statements if "api_token" in s or "app_user" in s], "credentials come from memory"


async def test_a_user_added_by_another_process_can_log_in_at_once(client: httpx.AsyncClient, hub: Hub) -> None:
    await service(client).create_token("someone", Scope.READ)  # closed hub, snapshot now cached
    assert (await client.get("/api/alerts")).status_code == 401
    cli = AuthService(hub.db, hub.config, hub.clock)  # `alerthub users add` in another process
    await cli.add_user("newcomer", "long enough")
    assert (await login(client, "newcomer", "long enough")).status_code == 303
    assert (await client.get("/", headers=HTML)).status_code == 200, "no bounce back to the login page"
