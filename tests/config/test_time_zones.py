"""`server.time_zone` and a channel's `time_zone` are IANA names, checked when the file is read."""

from pathlib import Path

import pytest

from alerthub.errors import ConfigError
from alerthub.hub import load_config


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "alerthub.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return [str(p) for p in caught.value.problems]


def test_an_unknown_zone_is_an_error_at_its_key(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
server: {time_zone: Korea/Seoul}
channels:
  - {name: ops, type: discord, url: "https://discord.test/api/webhooks/1/t", time_zone: KST}
  - {name: mail, type: email, smtp_host: h, to: [a@b.c]}
""",
    )
    assert len(found) == 2, found
    assert any("server.time_zone" in p and "'Korea/Seoul'" in p and "IANA" in p for p in found)
    assert any("channels[0].time_zone" in p and "'KST'" in p for p in found)


def test_known_zones_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text(
        """
server: {time_zone: Asia/Seoul}
channels:
  - {name: ops, type: discord, url: "https://discord.test/api/webhooks/1/t", time_zone: UTC}
  - {name: mail, type: email, smtp_host: h, to: [a@b.c]}
""",
        encoding="utf-8",
    )
    config = load_config(path, env={})
    assert config.server.time_zone == "Asia/Seoul"
    assert [c.time_zone for c in config.channels] == ["UTC", "Asia/Seoul"]
