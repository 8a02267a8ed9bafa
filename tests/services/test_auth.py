"""Access control's use cases on both databases: tokens, users, logins, the cache the request path
reads, and the session cookie's signature."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from alerthub.config.models import AuthConfig, Config
from alerthub.errors import ConfigError, ConflictError, InputError, NotFoundError
from alerthub.hub import load_config
from alerthub.services import credentials
from alerthub.services.auth import REFRESH_SECONDS, AuthService, LoginFailed, TooManyAttempts
from alerthub.services.auth_policy import exposure_problem
from alerthub.services.credentials import Scope, Session, SessionCodec
from alerthub.store.database import Database
from support.clock import FakeClock


class Ticker:
    """A monotonic clock the test moves: cache expiry and the login window without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def auth(db: Database, clock: FakeClock, ticker: Ticker) -> AuthService:
    return AuthService(db, Config(), clock, ticker)


def test_password_hash_verifies_only_the_right_password() -> None:
    stored = credentials.hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert credentials.verify_password("correct horse", stored)
    assert not credentials.verify_password("correct hors", stored)
    assert not credentials.verify_password("correct horse", "scrypt$garbage")
    assert credentials.hash_password("correct horse") != stored  # salted


def test_session_cookie_rejects_tampering_expiry_and_other_secrets() -> None:
    codec = SessionCodec("secret-a")
    cookie = codec.encode(Session("alice", "csrf-1", 2000))
    assert codec.decode(cookie, 1000) == Session("alice", "csrf-1", 2000)
    assert codec.decode(cookie, 2000) is None  # expired
    assert SessionCodec("secret-b").decode(cookie, 1000) is None
    version, payload, signature = cookie.split(".")
    forged = SessionCodec("secret-b").encode(Session("admin", "x", 9999)).split(".")[1]
    assert codec.decode(f"{version}.{forged}.{signature}", 1000) is None
    assert codec.decode("not-a-cookie", 1000) is None


async def test_token_is_shown_once_stored_hashed_and_authenticates_with_its_scope(auth: AuthService) -> None:
    token = await auth.create_token("prometheus", Scope.INGEST)
    assert token.startswith("ah_") and len(token) > 40
    [record] = await auth.list_tokens()
    assert record.token_hash == credentials.token_hash(token) and token not in record.token_hash
    principal = await auth.authenticate_token(token)
    assert principal is not None and (principal.name, principal.scope) == ("prometheus", Scope.INGEST)
    assert await auth.authenticate_token(token + "x") is None
    with pytest.raises(ConflictError):
        await auth.create_token("prometheus", Scope.READ)


async def test_revoked_token_stops_at_once_in_this_process(auth: AuthService) -> None:
    token = await auth.create_token("ci", Scope.ADMIN)
    assert await auth.authenticate_token(token) is not None
    await auth.revoke_token("ci")
    assert await auth.authenticate_token(token) is None
    with pytest.raises(NotFoundError):
        await auth.revoke_token("ci")
    again = await auth.create_token("ci", Scope.READ)  # a revoked name can be reused
    assert (await auth.authenticate_token(again)) is not None


async def test_checks_are_cached_and_another_process_revocation_lands_within_the_refresh(
    db: Database, clock: FakeClock, ticker: Ticker, auth: AuthService
) -> None:
    cli = AuthService(db, Config(), clock, ticker)  # stands for `alerthub tokens ...` in another process
    token = await cli.create_token("sender", Scope.INGEST)
    # Unknown to the server's cache yet: a miss reloads once, so a token just created works at once.
    assert await auth.authenticate_token(token) is not None
    await cli.revoke_token("sender")
    ticker.now += 1
    assert await auth.authenticate_token(token) is not None, "served from memory, no query"
    ticker.now += REFRESH_SECONDS
    assert await auth.authenticate_token(token) is None


async def test_credentials_exist_once_a_user_or_token_exists(auth: AuthService) -> None:
    assert not (await auth.snapshot()).enabled
    assert not await auth.has_credentials()
    await auth.add_user("alice", "long enough")
    assert (await auth.snapshot()).enabled
    assert await auth.has_credentials()


async def test_add_user_rejects_short_passwords_bad_names_and_duplicates(auth: AuthService) -> None:
    with pytest.raises(InputError, match="too short"):
        await auth.add_user("alice", "short")
    with pytest.raises(InputError, match="invalid name"):
        await auth.add_user("bad name<>", "long enough")
    await auth.add_user("alice", "long enough")
    with pytest.raises(ConflictError):
        await auth.add_user("alice", "another one")


async def test_login_checks_the_password_and_read_only_users_get_read(auth: AuthService) -> None:
    await auth.add_user("alice", "long enough")
    await auth.add_user("viewer", "long enough", admin=False)
    assert (await auth.login("alice", "long enough", "10.0.0.1")).scope is Scope.ADMIN
    assert (await auth.login("viewer", "long enough", "10.0.0.1")).scope is Scope.READ
    with pytest.raises(LoginFailed):
        await auth.login("alice", "wrong", "10.0.0.1")
    with pytest.raises(LoginFailed):
        await auth.login("nobody", "long enough", "10.0.0.1")


async def test_failed_logins_are_rate_limited_per_client_and_user(auth: AuthService, ticker: Ticker) -> None:
    await auth.add_user("alice", "long enough")
    for _ in range(5):
        with pytest.raises(LoginFailed):
            await auth.login("alice", "guess", "10.0.0.9")
    with pytest.raises(TooManyAttempts) as held:
        await auth.login("alice", "long enough", "10.0.0.9")  # even the right password waits
    assert 0 < held.value.retry_after <= 300
    assert (await auth.login("alice", "long enough", "10.0.0.10")).name == "alice"  # another client is not held
    ticker.now += 301
    assert (await auth.login("alice", "long enough", "10.0.0.9")).name == "alice"


async def test_session_secret_is_generated_once_per_database(db: Database, clock: FakeClock) -> None:
    first = await AuthService(db, Config(), clock).session_codec()
    second = await AuthService(db, Config(), clock).session_codec()
    cookie = first.encode(Session("alice", "c", 10**10))
    assert second.decode(cookie, 0) is not None, "two instances on one database accept each other's cookies"
    configured = AuthService(db, Config(auth=AuthConfig(session_secret="s3cret-from-config")), clock)
    assert (await configured.session_codec()).decode(cookie, 0) is None


@pytest.mark.parametrize(
    ("host", "has_credentials", "refused"),
    [
        ("127.0.0.1", False, False),
        ("localhost", False, False),
        ("::1", False, False),
        ("0.0.0.0", False, True),
        ("192.168.1.5", False, True),
        ("::", False, True),
        ("0.0.0.0", True, False),
    ],
)
def test_open_access_only_on_loopback(host: str, has_credentials: bool, refused: bool) -> None:
    problem = exposure_problem(host, has_credentials)
    assert (problem is not None) is refused
    if problem:
        assert "alerthub users add" in problem and "alerthub tokens create" in problem


async def test_last_use_is_recorded_in_batches_not_per_request(auth: AuthService, clock: FakeClock) -> None:
    token = await auth.create_token("sender", Scope.INGEST)
    assert [t.last_used_at for t in await auth.list_tokens()] == [None]
    await auth.authenticate_token(token)
    clock.advance(30)
    await auth.authenticate_token(token)
    assert [t.last_used_at for t in await auth.list_tokens()] == [None], "nothing written on the request path"
    assert await auth.flush_usage() == 1
    assert [t.last_used_at for t in await auth.list_tokens()] == [clock.now]
    assert await auth.flush_usage() == 0


def test_a_short_session_secret_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text("auth:\n  session_secret: short\n", encoding="utf-8")
    with pytest.raises(ConfigError) as failed:
        load_config(path, env={})
    assert [p.location for p in failed.value.problems] == ["auth.session_secret"]
    assert "at least 16 characters" in str(failed.value)


async def test_concurrent_wrong_logins_are_counted_before_the_password_is_checked(auth: AuthService) -> None:
    await auth.add_user("alice", "long enough")

    async def attempt() -> str:
        try:
            await auth.login("alice", "guess", "10.0.0.7")
        except TooManyAttempts:
            return "held"
        except LoginFailed:
            return "judged"
        return "in"

    outcomes = await asyncio.gather(*(attempt() for _ in range(30)))
    assert outcomes.count("judged") == 5 and outcomes.count("held") == 25


@pytest.mark.parametrize("key", ["session_idle_timeout", "session_max_age"])
def test_a_session_timeout_of_zero_is_a_configuration_error(tmp_path: Path, key: str) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text(f"auth:\n  {key}: 0s\n", encoding="utf-8")
    with pytest.raises(ConfigError) as failed:
        load_config(path, env={})
    assert [p.location for p in failed.value.problems] == [f"auth.{key}"]


async def test_a_short_idle_timeout_is_kept_alive_by_activity(db: Database, clock: FakeClock) -> None:
    auth = AuthService(db, Config(auth=AuthConfig(session_idle_timeout="40s")), clock)
    await auth.add_user("alice", "long enough")
    session = await auth.sessions.start("alice")
    for _ in range(10):  # five minutes, a request every 30 s: never 40 s idle
        clock.advance(30)
        assert await auth.sessions.resume(session) is not None
    clock.advance(41)
    assert await auth.sessions.resume(session) is None
