from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from alerthub.config.models import Config
from alerthub.delivery.client import delivery_client
from alerthub.delivery.worker import DeliveryWorker
from alerthub.hub import Hub
from support.clock import FakeClock
from support.delivery_config import channels_config
from support.standins import DiscordStandIn, Receiver, SMTPStandIn, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def discord(clock: FakeClock) -> Iterator[DiscordStandIn]:
    # The stand-in's rate limit reads the test's clock, so pacing is judged on the same time line.
    server = DiscordStandIn(now=lambda: clock().timestamp())
    yield server
    server.close()


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[SMTPStandIn]:
    server = SMTPStandIn(certificate, tls="starttls")
    yield server
    server.close()


@pytest.fixture
def config(discord: DiscordStandIn, smtp: SMTPStandIn) -> Config:
    return channels_config(discord, smtp)


@pytest.fixture
def worker(hub: Hub) -> DeliveryWorker:
    found = hub.delivery
    found.sender.rand = lambda: 1.0  # backoff without jitter, so a test can name the moment
    return found


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # The delivery worker's own client, so every channel test runs over the transport it sends with.
    async with delivery_client() as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()
