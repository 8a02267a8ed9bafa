"""`storage.retention`: durations as everywhere else, Alertmanager-like defaults, nothing under an hour."""

from datetime import timedelta
from pathlib import Path

import pytest

from alerthub.errors import ConfigError
from alerthub.hub import load_config


def test_defaults_keep_resolved_alerts_90_days_silences_5_and_notifications_30(tmp_path: Path) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text("storage: {url: 'sqlite:///x.db'}\n", encoding="utf-8")
    retention = load_config(path, env={}).storage.retention
    assert (retention.resolved, retention.silences, retention.notifications) == (
        timedelta(days=90),
        timedelta(days=5),
        timedelta(days=30),
    )


def test_durations_are_read_as_the_rest_of_the_config(tmp_path: Path) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text("storage: {retention: {resolved: 2w, silences: 36h, notifications: 1d12h}}\n", encoding="utf-8")
    retention = load_config(path, env={}).storage.retention
    assert retention.resolved == timedelta(weeks=2)
    assert retention.silences == timedelta(hours=36)
    assert retention.notifications == timedelta(days=1, hours=12)


def test_under_an_hour_or_an_unknown_key_is_an_error_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text("storage: {retention: {resolved: 10m, silences: soon, alerts: 1d}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    found = [str(p) for p in caught.value.problems]
    assert any(p.startswith("storage.retention.resolved:") and "at least 1h" in p for p in found), found
    assert any(p.startswith("storage.retention.silences:") for p in found), found
    assert any(p.startswith("storage.retention.alerts:") for p in found), found
