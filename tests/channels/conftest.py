from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from alerthub.delivery.client import delivery_client
from support.standins import Receiver, SlackStandIn, TelegramStandIn, make_certificate


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # The delivery worker's own client, so every channel test runs over the transport it sends with.
    async with delivery_client() as client:
        yield client


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    server = SlackStandIn()
    yield server
    server.close()


@pytest.fixture
def telegram() -> Iterator[TelegramStandIn]:
    server = TelegramStandIn()
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))
