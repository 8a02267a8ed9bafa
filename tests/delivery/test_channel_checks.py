from __future__ import annotations

from pathlib import Path

import pytest

from alerthub.errors import ConfigError
from alerthub.hub import load_config


def test_broken_templates_and_unknown_apprise_urls_are_config_errors_with_locations(tmp_path: Path) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text(
        "channels:\n"
        "  - name: d\n    type: discord\n    url: https://discord.com/api/webhooks/1/x\n"
        "    templates:\n      body: '{% if %}'\n      subject: x\n"
        "  - name: a\n    type: apprise\n    urls: ['json://127.0.0.1/', 'nosuchscheme://x']\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    locations = [p.location for p in caught.value.problems]
    assert locations == ["channels[0].templates.body", "channels[0].templates.subject", "channels[1].urls[1]"]


def test_good_overrides_pass(tmp_path: Path) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text(
        "channels:\n  - name: d\n    type: slack\n    url: https://hooks.slack.com/services/x\n"
        "    templates:\n      title: '{{ prefix }} {{ subject }}'\n"
    )
    assert load_config(path, env={}).channels[0].templates == {"title": "{{ prefix }} {{ subject }}"}
