"""The configuration examples in the README are real: each one passes validation."""

import re
from pathlib import Path

import pytest
import yaml

from alerthub.hub import load_config

README = Path(__file__).parent.parent / "README.md"
ENV = {
    "DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/token",
    "SMTP_SERVER": "smtp.example.com",
    "SMTP_USERNAME": "ops@example.com",
    "SMTP_PASSWORD": "app-password",
    "ALERT_EMAIL_TO": "ops@example.com",
}


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_readme_has_configuration_examples() -> None:
    assert len(yaml_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(yaml_blocks())))
def test_each_yaml_example_is_a_valid_configuration(index: int, tmp_path: Path) -> None:
    block = yaml_blocks()[index]
    assert isinstance(yaml.safe_load(block), dict)
    path = tmp_path / "example.yaml"
    path.write_text(block, encoding="utf-8")
    load_config(path, env=ENV)
