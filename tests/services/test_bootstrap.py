"""The first admin from ALERTHUB_ADMIN_TOKEN / ALERTHUB_ADMIN_PASSWORD: created only while the database
has no token or user, the same on every run and every replica, and said in the log either way."""

from __future__ import annotations

import asyncio
import logging

import pytest

from alerthub.config.models import Config
from alerthub.errors import InputError
from alerthub.services.auth import AuthService
from alerthub.services.bootstrap import bootstrap_admin, bootstrap_problems
from alerthub.services.credentials import Scope
from alerthub.store.database import Database
from support.clock import FakeClock

TOKEN = "a" * 40
ENV = {"ALERTHUB_ADMIN_TOKEN": TOKEN, "ALERTHUB_ADMIN_PASSWORD": "correct horse"}


async def test_an_empty_database_gets_the_admin_token_and_user(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    auth = AuthService(db, Config(), clock)
    with caplog.at_level(logging.INFO, "alerthub.bootstrap"):
        await bootstrap_admin(auth, ENV)
    principal = await auth.authenticate_token(TOKEN)
    assert principal is not None and principal.scope is Scope.ADMIN and principal.name == "admin"
    assert (await auth.login("admin", "correct horse", "127.0.0.1")).scope is Scope.ADMIN
    assert "created admin API token 'admin' from ALERTHUB_ADMIN_TOKEN" in caplog.text
    assert "created admin user 'admin' from ALERTHUB_ADMIN_PASSWORD" in caplog.text
    assert TOKEN not in caplog.text and "correct horse" not in caplog.text


async def test_existing_credentials_are_left_alone_and_that_is_logged(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    auth = AuthService(db, Config(), clock)
    await auth.create_token("ops", Scope.INGEST)
    with caplog.at_level(logging.INFO, "alerthub.bootstrap"):
        await bootstrap_admin(auth, ENV)
        await bootstrap_admin(auth, ENV)
    assert await auth.authenticate_token(TOKEN) is None
    assert [t.name for t in await auth.list_tokens()] == ["ops"] and await auth.list_users() == []
    assert caplog.text.count("credentials exist: ALERTHUB_ADMIN_TOKEN/ALERTHUB_ADMIN_PASSWORD left unused") == 2


async def test_replicas_seeding_at_once_make_one_admin(db: Database, clock: FakeClock) -> None:
    replicas = [AuthService(db, Config(), clock) for _ in range(3)]
    await asyncio.gather(*(bootstrap_admin(auth, {"ALERTHUB_ADMIN_TOKEN": TOKEN}) for auth in replicas))
    assert [t.name for t in await replicas[0].list_tokens()] == ["admin"]


async def test_nothing_set_touches_nothing(db: Database, clock: FakeClock) -> None:
    auth = AuthService(db, Config(), clock)
    await bootstrap_admin(auth, {})
    assert not await auth.has_credentials()


def test_a_short_token_or_password_is_a_start_up_error() -> None:
    [problem] = bootstrap_problems({"ALERTHUB_ADMIN_TOKEN": "secret"})
    assert problem.location == "ALERTHUB_ADMIN_TOKEN" and "at least 24 characters" in problem.message
    [problem] = bootstrap_problems({"ALERTHUB_ADMIN_PASSWORD": "short"})
    assert problem.location == "ALERTHUB_ADMIN_PASSWORD"
    assert bootstrap_problems(ENV) == []


async def test_a_bad_admin_name_clash_is_reported_not_swallowed(db: Database, clock: FakeClock) -> None:
    auth = AuthService(db, Config(), clock)
    with pytest.raises(InputError, match="cannot create the first admin: the password is too short"):
        await bootstrap_admin(auth, {"ALERTHUB_ADMIN_PASSWORD": "short"})
