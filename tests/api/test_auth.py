"""The access rules at the HTTP edge: open on a fresh hub, then tokens by scope, browser sessions with
CSRF, rate-limited logins, and the paths that stay public."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from alerthub.hub import Hub
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope
from support.clock import FakeClock
from support.counting import statements_sent, writes_in

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
    token = await service(client).create_token("sender", Scope.ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/rules", headers=headers)).status_code == 200  # warms the cache
    with statements_sent(hub.db) as statements:
        for _ in range(20):
            assert (await client.post("/api/alerts/send", json=SEED, headers=headers)).status_code == 202
    assert statements, "the ingest itself writes"
    assert not [s for s in statements if "api_token" in s or "app_user" in s], "credentials come from memory"


async def test_a_user_added_by_another_process_can_log_in_at_once(client: httpx.AsyncClient, hub: Hub) -> None:
    await service(client).create_token("someone", Scope.READ)  # closed hub, snapshot now cached
    assert (await client.get("/api/alerts")).status_code == 401
    cli = AuthService(hub.db, hub.config, hub.clock)  # `alerthub users add` in another process
    await cli.add_user("newcomer", "long enough")
    assert (await login(client, "newcomer", "long enough")).status_code == 303
    assert (await client.get("/", headers=HTML)).status_code == 200, "no bounce back to the login page"


async def _concurrent_logins(client: httpx.AsyncClient, names: list[str]) -> list[int]:
    """Every wrong-password login at once, each its own task (so they interleave at every await)."""
    page = await client.get("/login", headers=HTML)
    csrf = csrf_of(page.text)

    async def attempt(name: str) -> int:
        form = {"csrf": csrf, "username": name, "password": "a wrong guess", "next": "/"}
        return (await client.post("/login", data=form)).status_code

    return list(await asyncio.gather(*(attempt(n) for n in names)))


async def test_a_burst_of_concurrent_logins_for_one_user_is_counted_before_it_is_judged(
    client: httpx.AsyncClient,
) -> None:
    await service(client).add_user("alice", "long enough")
    statuses = await _concurrent_logins(client, ["alice"] * 30)
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) <= 5, "at most the per-user cap of attempts are judged"
    assert statuses.count(429) >= 25


async def test_a_burst_of_concurrent_logins_from_one_client_is_capped_per_client(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    statuses = await _concurrent_logins(client, [f"user{i}" for i in range(30)])
    assert statuses.count(401) <= 20, "at most the per-client cap of attempts are judged"
    assert statuses.count(429) >= 10


async def test_a_successful_login_gives_its_slot_back(client: httpx.AsyncClient) -> None:
    await service(client).add_user("alice", "long enough")
    for _ in range(25):  # more good logins from one address than the per-client cap: none is held back
        async with httpx.AsyncClient(transport=client._transport, base_url="http://hub.test") as browser:
            assert (await login(browser, "alice", "long enough")).status_code == 303


async def _heartbeats(client: httpx.AsyncClient, token: str) -> dict[str, str]:
    listed = await client.get("/api/heartbeats", headers={"Authorization": f"Bearer {token}"})
    return {h["name"]: h["status"] for h in listed.json()["heartbeats"]}


async def test_a_session_cookie_cannot_ping_a_heartbeat_by_get(client: httpx.AsyncClient) -> None:
    """A cross-site link (`<img src=https://hub/api/heartbeats/x?expect_every=1m>`) carries the cookie of
    whoever views it: with a cookie, a state-changing GET is refused, whatever the user's scope."""
    auth = service(client)
    await auth.add_user("viewer", "long enough", admin=False)
    await auth.add_user("boss", "long enough")
    reader = await auth.create_token("dashboards", Scope.READ)
    for user in ("viewer", "boss"):
        async with httpx.AsyncClient(transport=client._transport, base_url="http://hub.test") as browser:
            assert (await login(browser, user, "long enough")).status_code == 303
            for site in ("cross-site", "same-origin"):
                ping = await browser.get(
                    "/api/heartbeats/planted", params={"expect_every": "1m"}, headers={"Sec-Fetch-Site": site}
                )
                assert ping.status_code == 403, (user, site)
            assert (await browser.get("/api/heartbeats")).status_code == 200, "reading with the cookie is fine"
    assert "planted" not in await _heartbeats(client, reader), "no heartbeat was created"


async def test_a_get_ping_needs_an_ingest_or_admin_bearer_and_a_read_scope_changes_nothing(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    auth = service(client)
    tokens = {scope: await auth.create_token(f"t-{scope.value}", scope) for scope in Scope}
    assert (await client.get("/api/heartbeats/nightly", params={"expect_every": "1h"})).status_code == 401
    read = await client.get(
        "/api/heartbeats/nightly",
        params={"expect_every": "1h"},
        headers={"Authorization": f"Bearer {tokens[Scope.READ]}"},
    )
    assert read.status_code == 403 and "read scope" in read.json()["detail"]
    assert "nightly" not in await _heartbeats(client, tokens[Scope.READ])
    for scope in (Scope.INGEST, Scope.ADMIN):
        ping = await client.get(
            "/api/heartbeats/nightly",
            params={"expect_every": "1h"},
            headers={"Authorization": f"Bearer {tokens[scope]}"},
        )
        assert ping.status_code == 200, scope
    assert (await _heartbeats(client, tokens[Scope.READ]))["nightly"] == "up"


async def test_a_missing_heartbeat_is_not_resolved_by_a_cookie_but_is_by_a_curl_ping(
    client: httpx.AsyncClient, hub: Hub, clock: FakeClock
) -> None:

    auth = service(client)
    sender = await auth.create_token("cron", Scope.INGEST)
    reader = await auth.create_token("dashboards", Scope.READ)
    bearer = {"Authorization": f"Bearer {sender}"}
    assert (await client.post("/api/heartbeats/job", params={"expect_every": "10m"}, headers=bearer)).status_code == 200
    clock.advance(minutes=11)
    await hub.heartbeats.check_once(clock())
    await auth.add_user("viewer", "long enough", admin=False)
    assert (await login(client, "viewer", "long enough")).status_code == 303
    assert (await client.get("/api/heartbeats/job", headers={"Sec-Fetch-Site": "cross-site"})).status_code == 403
    assert (await _heartbeats(client, reader))["job"] == "missing"
    assert (await client.get("/api/heartbeats/job", headers=bearer)).status_code == 200
    assert (await _heartbeats(client, reader))["job"] == "up"


async def test_an_open_hub_still_takes_curl_pings_but_not_cross_site_ones(client: httpx.AsyncClient) -> None:
    curl = await client.get("/api/heartbeats/nightly-backup", params={"expect_every": "1d"})
    assert curl.status_code == 200 and curl.json()["status"] == "up"
    planted = await client.get(
        "/api/heartbeats/planted", params={"expect_every": "1m"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert planted.status_code == 403
    names = [h["name"] for h in (await client.get("/api/heartbeats")).json()["heartbeats"]]
    assert names == ["nightly-backup"]


def _get_paths(routes: list[Any]) -> set[str]:
    found: set[str] = set()
    for route in routes:
        if hasattr(route, "original_router"):  # an included router (FastAPI >= 0.120 keeps them nested)
            found |= _get_paths(route.original_router.routes)
        elif "GET" in (getattr(route, "methods", None) or ()):
            found.add(route.path)
    return found


async def test_no_get_route_changes_state_for_a_read_token_or_a_read_only_cookie(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    auth = service(client)
    admin = {"Authorization": f"Bearer {await auth.create_token('boss', Scope.ADMIN)}"}
    assert (await client.post("/api/alerts/send", json=SEED, headers=admin)).status_code == 202
    assert (await client.post("/api/heartbeats/nightly", params={"expect_every": "1h"}, headers=admin)).is_success
    await auth.add_user("viewer", "long enough", admin=False)
    await auth.session_codec()  # the signing secret is generated once per database: not a GET's doing
    reader = {"Authorization": f"Bearer {await auth.create_token('dashboards', Scope.READ)}"}
    async with httpx.AsyncClient(transport=client._transport, base_url="http://hub.test") as browser:
        assert (await login(browser, "viewer", "long enough")).status_code == 303
        paths = sorted(_get_paths(client._transport.app.routes) - {"/api/events"})  # type: ignore[attr-defined]
        assert "/api/heartbeats/{name}" in paths and "/" in paths
        params = {"{alert_id}": "1", "{name}": "nightly", "{notification_id}": "1", "{silence_id}": "none"}
        with statements_sent(hub.db) as sent:
            for template in paths:
                path = template
                for name, value in params.items():
                    path = path.replace(name, value)
                for who, headers in (("read token", reader), ("read-only cookie", {})):
                    answer = await browser.get(
                        path, params={"expect_every": "1m"}, headers={"Accept": "text/html", **headers}
                    )
                    assert answer.status_code < 500, (path, who)
                    writes = writes_in(sent)
                    assert writes == [], f"GET {path} with a {who} wrote: {writes}"
