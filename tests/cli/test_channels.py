from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerthub.cli.main import app
from support.standins import DiscordStandIn, Reply

runner = CliRunner()


@pytest.fixture
def config_file(tmp_path: Path, discord: DiscordStandIn) -> Path:
    path = tmp_path / "alerthub.yaml"
    path.write_text(
        f"storage:\n  url: sqlite:///{tmp_path}/a.db\n"
        f"channels:\n  - name: discord\n    type: discord\n    url: {discord.url('1/top-secret')}\n"
    )
    return path


def test_channels_test_delivers_and_exits_0(config_file: Path, discord: DiscordStandIn) -> None:
    result = runner.invoke(app, ["channels", "test", "discord", "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    assert "discord: delivered (id " in result.output
    assert discord.posted()[0]["embeds"][0]["title"] == "[INFO] Test message from alerthub"


def test_channels_test_reports_the_service_error_and_exits_1(config_file: Path, discord: DiscordStandIn) -> None:
    discord.fail_next(Reply(401, {"message": "Invalid Webhook Token", "code": 50027}))
    result = runner.invoke(app, ["channels", "test", "discord", "--config", str(config_file)])
    assert result.exit_code == 1
    assert "failed (permanent): HTTP 401: Invalid Webhook Token" in result.output


def test_unknown_channel_exits_2(config_file: Path) -> None:
    result = runner.invoke(app, ["channels", "test", "nope", "--config", str(config_file)])
    assert result.exit_code == 2 and "known channels: discord" in result.output


def test_list_redacts(config_file: Path) -> None:
    result = runner.invoke(app, ["channels", "list", "--config", str(config_file)])
    assert result.exit_code == 0 and "discord" in result.output and "top-secret" not in result.output
