"""Browser sessions end when they should, on every instance: at logout, when the user is removed, after
the idle timeout and after the absolute lifetime; and keeping them alive costs a write a minute at most."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from alerthub.api.app import create_app
from alerthub.config.models import Config
from alerthub.hub import Hub, build_hub
from alerthub.services.auth import AuthService
from alerthub.store.database import Database
from support.clock import FakeClock
from support.counting import statements_sent

HTML = {"Accept": "text/html"}
COOKIE = "alerthub_session"


def auth_of(client: httpx.AsyncClient) -> AuthService:
    auth: AuthService = client._transport.app.state.auth  # type: ignore[attr-defined]
    return auth


async def login(client: httpx.AsyncClient, name: str = "alice", password: str = "long enough") -> str:
    """Logs in; the session cookie's value."""
    page = await client.get("/login", headers=HTML)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "username": name, "password": password, "next": "/"}
    answer = await client.post("/login", data=form)
    assert answer.status_code == 303
    return client.cookies[COOKIE]


def with_cookie(client: httpx.AsyncClient, value: str) -> httpx.AsyncClient:
    """Another browser (or an attacker) holding a copy of the cookie, talking to `client`'s app."""
    return httpx.AsyncClient(transport=client._transport, base_url="http://hub.test", cookies={COOKIE: value})


@pytest.fixture
def config(request: pytest.FixtureRequest) -> Config:
    return Config.model_validate(getattr(request, "param", {}))


@pytest.fixture
async def other(hub: Hub, db: Database, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    """A second instance: its own app and caches, on the same database (its own pool on PostgreSQL; one
    SQLite file serves one process, so there it shares the first instance's handle)."""
    second_db = Database(db.url) if not db.is_sqlite else db
    app = create_app(build_hub(Config(), clock=clock, db=second_db), migrate=False, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        yield http
    if second_db is not db:
        await second_db.dispose()


async def test_the_cookie_of_a_logged_out_session_is_refused(client: httpx.AsyncClient) -> None:
    await auth_of(client).add_user("alice", "long enough")
    stolen = await login(client)
    assert (await client.get("/api/alerts")).status_code == 200
    board = await client.get("/", headers=HTML)
    csrf = re.search(r'data-csrf="([^"]+)"', board.text)
    assert csrf is not None
    assert (await client.post("/logout", data={"csrf": csrf.group(1)})).status_code == 303
    async with with_cookie(client, stolen) as copy:
        assert (await copy.get("/api/alerts")).status_code == 401
        page = await copy.get("/overview", headers=HTML)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_a_name_with_a_nul_is_a_failed_login(client: httpx.AsyncClient) -> None:
    # PostgreSQL's text cannot hold U+0000: the name must not reach the user lookup as it is (a 500).
    await auth_of(client).add_user("alice", "long enough")
    page = await client.get("/login", headers=HTML)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "username": "alice\x00", "password": "long enough", "next": "/"}
    answer = await client.post("/login", data=form)
    assert answer.status_code == 401 and 'value="alice\ufffd"' in answer.text
    assert (await client.get("/api/alerts")).status_code == 401


async def test_one_cookie_works_on_two_instances_and_logout_on_one_ends_it_on_both(
    client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    await auth_of(client).add_user("alice", "long enough")
    cookie = await login(client)
    async with with_cookie(other, cookie) as there:
        assert (await there.get("/api/alerts")).status_code == 200, "instance B accepts A's session"
        board = await there.get("/", headers=HTML)
        assert board.status_code == 200 and ">alice<" in board.text
        csrf = re.search(r'data-csrf="([^"]+)"', board.text)
        assert csrf is not None
        assert (await there.post("/logout", data={"csrf": csrf.group(1)})).status_code == 303
    assert (await client.get("/api/alerts")).status_code == 401, "logged out on B, refused on A at once"


async def test_users_remove_ends_the_users_sessions_on_every_instance_at_once(
    client: httpx.AsyncClient, other: httpx.AsyncClient, hub: Hub
) -> None:
    await auth_of(client).add_user("alice", "long enough")
    await auth_of(client).add_user("bob", "long enough")
    cookie = await login(client)
    async with with_cookie(other, cookie) as there:
        assert (await there.get("/api/alerts")).status_code == 200  # B's caches are warm now
        cli = AuthService(hub.db, hub.config, hub.clock)  # `alerthub users remove alice`, another process
        await cli.remove_user("alice")
        assert (await there.get("/api/alerts")).status_code == 401
    assert (await client.get("/api/alerts")).status_code == 401
    await cli.add_user("alice", "long enough")  # the same name again is a new user: old cookies stay dead
    assert (await client.get("/api/alerts")).status_code == 401


async def test_an_idle_session_expires_and_activity_keeps_it_alive(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await auth_of(client).add_user("alice", "long enough")
    await login(client)
    for _ in range(3):  # 33 hours, never 12 idle
        clock.advance(hours=11)
        assert (await client.get("/api/alerts")).status_code == 200
    clock.advance(hours=12, seconds=1)
    assert (await client.get("/api/alerts")).status_code == 401
    assert (await client.get("/", headers=HTML)).status_code == 303


async def test_the_absolute_lifetime_holds_however_active_the_session(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await auth_of(client).add_user("alice", "long enough")
    await login(client)
    statuses = []
    for _ in range(16):  # 7 days + 8 h of a request every 11 hours
        clock.advance(hours=11)
        statuses.append((await client.get("/api/alerts")).status_code)
    assert statuses == [200] * 15 + [401]


@pytest.mark.parametrize("config", [{"auth": {"session_idle_timeout": "30m"}}], indirect=True)
async def test_the_idle_timeout_is_configurable(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await auth_of(client).add_user("alice", "long enough")
    await login(client)
    clock.advance(minutes=29)
    assert (await client.get("/api/alerts")).status_code == 200
    clock.advance(minutes=31)
    assert (await client.get("/api/alerts")).status_code == 401


async def test_activity_is_written_at_most_once_a_minute(client: httpx.AsyncClient, hub: Hub, clock: FakeClock) -> None:
    await auth_of(client).add_user("alice", "long enough")
    await login(client)

    def writes(sent: list[str]) -> list[str]:
        return [s for s in sent if s.lstrip().upper().startswith("UPDATE") and "user_session" in s]

    with statements_sent(hub.db) as sent:
        for _ in range(10):
            clock.advance(seconds=5)
            assert (await client.get("/api/alerts")).status_code == 200
        assert writes(sent) == [], "50 s of requests: nothing written"
        clock.advance(seconds=15)
        for _ in range(10):
            assert (await client.get("/api/alerts")).status_code == 200
    assert len(writes(sent)) == 1, "past the minute: one write, not one per request"
