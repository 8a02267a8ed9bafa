from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from alerthub.api.app import create_app
from alerthub.config.models import Config
from alerthub.hub import Hub, build_hub
from alerthub.store.database import Database
from alerthub.store.migrate import upgrade
from support.clock import FakeClock
from support.databases import (
    create_session_database,
    drop_session_database,
    postgres_url,
    skip_or_fail_without_postgres,
    truncate_all,
)
from support.standins import DiscordStandIn

FIXTURES = Path(__file__).parent / "fixtures"

# Messages write times in the machine's zone when none is configured: the tests' machine is in UTC,
# wherever it really is (and every `alerthub serve` they start inherits it).
os.environ["TZ"] = "UTC"


@pytest.fixture(autouse=True)
def restore_root_logging() -> Iterator[None]:
    """A command run in-process (`serve` through CliRunner, `configure_logging` itself) points the root
    logger at a stream pytest closes after the test; later threads' log lines would fail on it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str | None]:
    base = postgres_url()
    if base is None:
        yield None
        return
    url = create_session_database(base)
    yield url
    drop_session_database(base, url)


@pytest.fixture
def database() -> Iterator[str]:
    """A PostgreSQL database of the test's own, for `alerthub serve` processes to share; dropped after."""
    base = postgres_url()
    if base is None:
        skip_or_fail_without_postgres()
    url = create_session_database(base)
    yield url
    drop_session_database(base, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_session_url: str | None
) -> AsyncIterator[Database]:
    """The store on both back ends; every test that takes it runs twice."""
    if request.param == "postgres":
        if postgres_session_url is None:
            skip_or_fail_without_postgres()
        database = Database(postgres_session_url)
        await truncate_all(database)
    else:
        database = Database(f"sqlite:///{tmp_path / 'alerthub.db'}")
        await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config() -> Config:
    return Config()


@pytest.fixture
def hub(config: Config, clock: FakeClock, db: Database) -> Hub:
    return build_hub(config, clock=clock, db=db)


@pytest.fixture
async def client(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(hub, migrate=False, run_background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for code under test that talks to loopback stand-ins (pollers, channels)."""
    async with httpx.AsyncClient(timeout=2) as client:
        yield client


@pytest.fixture
def discord() -> Iterator[DiscordStandIn]:
    """A loopback server that answers as Discord's webhook API documents (limits, 429s, edits) on a real clock."""
    server = DiscordStandIn()
    yield server
    server.close()
