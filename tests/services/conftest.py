"""Stand-ins the use cases deliver to: the Discord and SMTP servers, and the delivery worker's own client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from alerthub.channels.http import HttpClient
from alerthub.delivery.client import delivery_client
from support.clock import FakeClock
from support.standins import DiscordStandIn, SMTPStandIn, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[SMTPStandIn]:
    server = SMTPStandIn(certificate, tls="starttls")
    yield server
    server.close()


@pytest.fixture
def discord(clock: FakeClock) -> Iterator[DiscordStandIn]:
    # The stand-in's rate limit reads the test's clock, so pacing is judged on the same time line.
    server = DiscordStandIn(now=lambda: clock().timestamp())
    yield server
    server.close()


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with delivery_client() as client:
        yield client
