"""schedules[].handoff_message in the configuration: off unless asked, `true` for the defaults, an object
with `via` and `ahead`; check-config names an unknown channel, one that cannot reach a person by name, a
typo and an `ahead` too long, each at its key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerthub.config.models import Config
from alerthub.config.oncall import HandoffMessageConfig
from alerthub.errors import ConfigError
from alerthub.hub import load_config
from support.processes import run_cli, write_config

WHERE = "schedules[0].handoff_message"


def data(message: Any) -> dict[str, Any]:
    return {
        "channels": [
            {"name": "chat", "type": "discord", "url": "https://discord.com/api/webhooks/1/token"},
            {"name": "hooks", "type": "webhook", "url": "https://hooks.example.com/in"},
        ],
        "people": [{"name": "alice", "discord_user_id": "123456789012345678"}],
        "schedules": [
            {
                "name": "primary",
                "time_zone": "Europe/Berlin",
                "rotation": {"every": "1w", "handoff": "2026-12-07T09:00:00+01:00", "people": ["alice"]},
                "handoff_message": message,
            }
        ],
    }


def problems(tmp_path: Path, config: dict[str, Any]) -> list[str]:
    path = tmp_path / "alerthub.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return [str(p) for p in caught.value.problems]


def test_off_unless_asked_and_true_is_every_channel_at_the_start() -> None:
    assert Config.model_validate(data(None)).schedules[0].handoff_message is None
    assert Config.model_validate(data(False)).schedules[0].handoff_message is None
    defaults = Config.model_validate(data(True)).schedules[0].handoff_message
    assert defaults == HandoffMessageConfig() and defaults.via is None and defaults.ahead == timedelta(0)
    chosen = Config.model_validate(data({"via": ["chat"], "ahead": "15m"})).schedules[0].handoff_message
    assert chosen == HandoffMessageConfig(via=["chat"], ahead=timedelta(minutes=15))


def test_a_valid_handoff_message_passes_check_config(tmp_path: Path) -> None:
    result = run_cli("check-config", "--config", str(write_config(tmp_path / "ok.yaml", data({"via": ["chat"]}))))
    assert result.returncode == 0, result.stderr


def test_check_config_names_an_unknown_channel_and_one_that_reaches_nobody_by_name(tmp_path: Path) -> None:
    found = problems(tmp_path, data({"via": ["chat", "chatt", "hooks"]}))
    assert f"{WHERE}.via[1]: no channel named 'chatt'" in found
    usable = "discord, slack, email, telegram or apprise"
    assert f"{WHERE}.via[2]: channel 'hooks' (webhook) cannot reach a person by name; use a {usable} channel" in found
    assert len(found) == 2
    result = run_cli("check-config", "--config", str(write_config(tmp_path / "bad.yaml", data({"via": ["chatt"]}))))
    assert result.returncode != 0 and f"{WHERE}.via[0]: no channel named 'chatt'" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"ahaed": "1h"}, f"{WHERE}.ahaed: unknown key (check the spelling)"),
        ({"ahead": "8d"}, f"{WHERE}.ahead: Value error, must be at most 7d"),
        ({"ahead": "soon"}, f"{WHERE}.ahead:"),
        ({"via": []}, f"{WHERE}.via:"),
        ("yes please", f"{WHERE}:"),
    ],
)
def test_bad_values_are_errors_at_their_key(tmp_path: Path, message: Any, expected: str) -> None:
    found = problems(tmp_path, data(message))
    assert any(p.startswith(expected) for p in found), found
