from datetime import timedelta
from pathlib import Path

import pytest

from alerthub.config.durations import parse_duration
from alerthub.errors import ConfigError
from alerthub.hub import load_config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(minutes=90)),
        ("250ms", timedelta(milliseconds=250)),
        ("2d", timedelta(days=2)),
        ("0s", timedelta(0)),
        (45, timedelta(seconds=45)),
        ("45", timedelta(seconds=45)),
        (1.5, timedelta(seconds=1.5)),
    ],
)
def test_prometheus_style_durations(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["soon", "5 minutes", "m5", "-5m", -1, True, "", "5m3", float("nan")])
def test_bad_durations_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="duration|negative"):
        parse_duration(bad)


@pytest.mark.parametrize("huge", ["99999999999d", "36501d", 10**12, 1e300, "9" * 400])
def test_a_duration_past_a_century_is_a_clear_error_not_an_overflow(huge: object) -> None:
    with pytest.raises(ValueError, match="at most 36500d"):
        parse_duration(huge)


def test_a_century_itself_is_accepted() -> None:
    assert parse_duration("36500d") == timedelta(days=36500)


def test_check_config_names_the_key_of_a_huge_duration(tmp_path: Path) -> None:
    path = tmp_path / "alerthub.yaml"
    path.write_text("route:\n  receiver: default\n  repeat_interval: 99999999999d\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert [p.location for p in caught.value.problems] == ["route.repeat_interval"]
