"""A source served as an HTTP API body (not a webhook, not a poller) can still own its `integrations.<key>`:
it registers just its `Settings`, checked and resolved like every other source's."""

from __future__ import annotations

import pytest

from alerthub.config.models import Config, Strict
from alerthub.errors import ConfigError
from alerthub.sources.contracts import Settings
from alerthub.sources.registry import SOURCES, Registry


class BodyConfig(Strict):
    keys: list[str] = []


BODY = Settings("body", BodyConfig)
WITH_BODY = Registry(*SOURCES.push, *SOURCES.pull, BODY)


def test_a_settings_only_source_is_a_known_integration_checked_by_its_model() -> None:
    good = Config.model_validate({"integrations": {"body": {"keys": ["a", "b"]}}})
    assert WITH_BODY.check(good) == []
    assert WITH_BODY.resolve(good).of(BODY) == BodyConfig(keys=["a", "b"])
    bad = Config.model_validate({"integrations": {"body": {"keys": "a", "kyes": []}}})
    assert sorted(str(p) for p in WITH_BODY.check(bad)) == [
        "integrations.body.keys: Input should be a valid list",
        "integrations.body.kyes: unknown key (check the spelling)",
    ]
    with pytest.raises(ConfigError):
        WITH_BODY.resolve(bad)


def test_a_settings_only_source_absent_from_the_file_reads_its_defaults_and_is_not_served() -> None:
    resolved = WITH_BODY.resolve(Config())
    assert resolved.of(BODY) == BodyConfig()
    assert (WITH_BODY.push, WITH_BODY.pull) == (SOURCES.push, SOURCES.pull)


def test_a_settings_only_source_cannot_share_a_key_with_another_model() -> None:
    with pytest.raises(ValueError, match=r"integrations\.body"):
        Registry(BODY, Settings("body", BodyConfig))
