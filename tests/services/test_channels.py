from __future__ import annotations

from pathlib import Path

import pytest

from alerthub.config.models import Config
from alerthub.errors import NotFoundError
from alerthub.services.channels import ChannelService, scrub
from alerthub.store.database import Database
from support.clock import FakeClock
from support.standins import SMTPStandIn, make_certificate


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


def mail_config(port: int, password: str = SMTPStandIn.PASSWORD) -> Config:
    return Config.model_validate(
        {
            "channels": [
                {
                    "name": "mail",
                    "type": "email",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "username": SMTPStandIn.USER,
                    "password": password,
                    "to": ["ops@example.com"],
                    "validate_certs": False,
                }
            ]
        }
    )


async def test_test_sends_through_starttls_and_records_success(
    db: Database, clock: FakeClock, certificate: tuple[Path, Path]
) -> None:
    server = SMTPStandIn(certificate)
    try:
        service = ChannelService(mail_config(server.port), db, clock)
        outcome = await service.test("mail")
        assert outcome.ok and outcome.external_id
        assert server.mails[0].message["Subject"] == "[INFO] Test message from alerthub"
        [info] = await service.list()
        assert info.state.last_success_at == clock() and info.state.failing_since is None
    finally:
        server.close()


async def test_a_refused_login_is_reported_without_the_password(
    db: Database, clock: FakeClock, certificate: tuple[Path, Path]
) -> None:
    server = SMTPStandIn(certificate)
    try:
        service = ChannelService(mail_config(server.port, password="wrong-pass"), db, clock)
        outcome = await service.test("mail")
        assert not outcome.ok and outcome.retryable is False
        [info] = await service.list()
        assert info.state.failing_since == clock() and "wrong-pass" not in str(info)
    finally:
        server.close()


async def test_unknown_channel(db: Database, clock: FakeClock) -> None:
    with pytest.raises(NotFoundError):
        await ChannelService(Config(), db, clock).test("nope")


def test_scrub_removes_secret_values() -> None:
    cfg = mail_config(25, password="hunter2").channels[0]
    assert scrub("login with hunter2 failed", cfg) == "login with *** failed"
